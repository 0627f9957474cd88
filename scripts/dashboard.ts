/**
 * `npm run dashboard [-- --port N] [--host H]`: the read-only dashboard (partition calendar, row-count
 * trend, open alerts per pipeline) at http://localhost:8090/ (CONVEYOR_DASHBOARD_PORT). Ctrl-C stops it.
 */
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../platform/config';
import { startDashboard } from '../dashboard/server';
import { deploymentRegistry } from '../definitions/registry';
import { exitOnError } from './lib/cli-errors';
import { intInRange, parseOption } from '../common/options';

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run dashboard --')
    .description('Serve the read-only dashboard.')
    .option('--port <n>', 'port (default: CONVEYOR_DASHBOARD_PORT, 8090)')
    .option('--host <address>', 'address to listen on (0.0.0.0 for all)', '127.0.0.1')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ port?: string; host: string }>();
  const config = loadConfig();
  const port = opts.port === undefined ? config.dashboardPort : parseOption('--port', intInRange(1, 65535), opts.port);
  const dashboard = await startDashboard({ config, registry: deploymentRegistry(), port, host: opts.host });
  console.error(`dashboard: ${dashboard.url} (Ctrl-C to stop)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void dashboard.close().then(() => process.exit(0)));
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor dashboard')(err);
});
