/**
 * `conveyor worker [--queues daily|backfill]`: a worker process serving the daily and/or backfill
 * task queue. Builds the workflow bundle, then runs `workers/main.ts` with the worker's Node flags
 * (heap caps, fewer malloc arenas: workers/node-flags.ts) and passes Ctrl-C and SIGTERM on: the
 * running steps finish first. Run as many as you like, here or on machines sharing the lake.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { parseOption } from '../../common/options';
import { workerQueuesSchema } from '../../platform/config';
import { buildWorkflowBundle } from '../../scripts/lib/workflow-bundle';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../workers/node-flags';
import type { Context } from '../context';
import { examples } from '../output';
import { signalExitCode } from '../signals';

const WORKER_MAIN = path.resolve(__dirname, '..', '..', 'workers', 'main.ts');

export function register(program: Command, ctx: Context): void {
  program
    .command('worker')
    .summary("run a worker process")
    .description('Run a worker serving the daily and/or backfill task queue (each its own pool of slots) until Ctrl-C; running steps finish first.')
    .option('--queues <list>', 'task queues to serve: daily, backfill or daily,backfill (default: CONVEYOR_WORKER_QUEUES, both)')
    .addHelpText('after', examples('npx conveyor worker', 'npx conveyor worker --queues backfill', 'CONVEYOR_DATA_DIR=/tmp/w2 npx conveyor worker --queues daily'))
    .action(async (opts: { queues?: string }) => {
      if (opts.queues !== undefined) parseOption('--queues', workerQueuesSchema, opts.queues); // bad input: refused before building anything
      await buildWorkflowBundle(ctx.config.workflowBundlePath);
      const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, WORKER_MAIN, ...(opts.queues ? ['--queues', opts.queues] : [])], {
        stdio: 'inherit',
        env: { ...process.env, ...WORKER_ENV },
      });
      const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, forward(signal));
      ctx.exitCode = await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? signalExitCode(signal) : 1))));
    });
}
