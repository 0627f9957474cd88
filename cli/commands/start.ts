/**
 * `conveyor start` (`npm start`): the whole thing on one machine. Starts the Temporal dev server
 * (unless one answers), a worker and the dashboard; lands the last days of sample data for every
 * pipeline with a generator; backfills every pipeline it can load, upstreams first; applies the
 * schedules; prints the outcome and where to look; serves until Ctrl-C (`--exit`: stops once done).
 * Whatever ends it, it stops what it started.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { intInRange, parseOption } from '../../common/options';
import { prepareLake, lakeOf } from '../../lake/layout';
import { createLogger, setLogger } from '../../platform/logger';
import type { Context } from '../context';
import { examples } from '../output';
import { signalExitCode } from '../signals';

const say = (line: string) => console.error(line);

export function register(program: Command, ctx: Context): void {
  program
    .command('start')
    .summary("server, worker and sample data on this machine, run end to end (npm start)")
    .description('Start everything on this machine: the Temporal dev server, a worker and the dashboard; run the last days of sample data for every pipeline end to end; apply the schedules.')
    .option('--days <n>', "how many days of sample data to run (default: the monitors' 14-day window)", '14')
    .option('--rows <n>', "rows per partition (default: each generator's own)")
    .option('--exit', 'stop the worker and server once the sample range has run')
    .addHelpText('after', examples('npm start', 'npx conveyor start --days 3 --exit'))
    .action(async (opts: { days: string; rows?: string; exit?: boolean }) => {
      const days = parseOption('--days', intInRange(1, 366), opts.days);
      const rows = opts.rows === undefined ? undefined : parseOption('--rows', intInRange(1, 10_000_000), opts.rows);
      const { config } = ctx;
      const lake = lakeOf(config);
      await prepareLake(lake);
      // Worker and activity logs go to a file, so this terminal shows the story, not JSON.
      fs.mkdirSync(config.dataDir, { recursive: true });
      const logFile = path.join(config.dataDir, 'conveyor.log');
      setLogger(createLogger(config.logLevel, pino.destination({ dest: logFile, sync: false })));
      // Loaded only here: the worker, the dev server and the bundler are heavy for every other command.
      const { Started, startServerUnlessUp, startWorker } = (require('./start-stack') as typeof import('./start-stack'));
      const { loadSampleRange, printWhereToLook } = (require('./start-demo') as typeof import('./start-demo'));
      const started = new Started(say);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          say(`\n${signal}: stopping what conveyor start started ...`);
          void started.stopAll().then(() => process.exit(signalExitCode(signal)));
        });
      }
      try {
        await startServerUnlessUp(config, started, say);
        const worker = await startWorker(ctx, lake, logFile, started, say);
        const loaded = await loadSampleRange(ctx, { days, rows, started, say });
        printWhereToLook(ctx, lake, loaded.dashboardUrl);
        if (!opts.exit) {
          say('\nWorker and server keep running so you can explore the Web UI and query the lake; Ctrl-C to stop.');
          await worker.stopped;
        }
        ctx.exitCode = loaded.failed === 0 ? 0 : 1;
      } finally {
        await started.stopAll();
      }
    });
}
