/** `conveyor dashboard`: the read-only dashboard (partition calendars, row-count trends, open alerts) until Ctrl-C. */
import type { Command } from 'commander';
import { intInRange, parseOption } from '../../common/options';
import type { Context } from '../context';
import { examples } from '../output';
import { untilStopped } from '../signals';

export function register(program: Command, ctx: Context): void {
  program
    .command('dashboard')
    .summary("serve the read-only dashboard")
    .description('Serve the read-only dashboard: partition calendars, row-count trends, open alerts, /api/status.')
    .option('--port <n>', 'port (default: CONVEYOR_DASHBOARD_PORT, 8090)')
    .option('--host <address>', 'address to listen on (0.0.0.0 for all)', '127.0.0.1')
    .addHelpText('after', examples('npx conveyor dashboard', 'npx conveyor dashboard --port 9000 --host 0.0.0.0'))
    .action(async (opts: { port?: string; host: string }) => {
      const port = opts.port === undefined ? ctx.config.dashboardPort : parseOption('--port', intInRange(1, 65535), opts.port);
      const stopping = untilStopped();
      const { startDashboard } = (require('../../dashboard/server') as typeof import('../../dashboard/server'));
      const dashboard = await startDashboard({ ...ctx.deployment, port, host: opts.host });
      stopping.started();
      console.error(`dashboard: ${dashboard.url} (Ctrl-C to stop)`);
      await stopping.stopped;
      await dashboard.close();
    });
}
