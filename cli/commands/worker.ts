/**
 * `conveyor worker [--queues daily|backfill]`: a worker process serving the daily and/or backfill
 * task queue. Builds the workflow bundle, then runs `workers/main.ts` with the worker's Node flags
 * (heap caps, fewer malloc arenas: workers/node-flags.ts) and passes Ctrl-C and SIGTERM on: the
 * running steps finish first. Both run as processes of their own, so this one stays small while the
 * worker runs. Run as many as you like, here or on machines sharing the lake.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { parseOption } from '../../common/options';
import { workerQueuesSchema } from '../../platform/config';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../workers/node-flags';
import type { Context } from '../context';
import { examples } from '../output';
import { signalExitCode } from '../signals';

const ROOT = path.resolve(__dirname, '..', '..');
/** The worker's Node flags, with tsx's hook resolved from here: the command may run from any folder. */
const NODE_FLAGS = WORKER_NODE_FLAGS.map((flag) => (flag === 'tsx/cjs' ? require.resolve('tsx/cjs') : flag));

/** Run `node <args>`, passing SIGINT and SIGTERM on; resolves with its exit code. */
function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      for (const [s, handler] of handlers) process.off(s, handler);
      resolve(code ?? (signal ? signalExitCode(signal) : 1));
    }),
  );
}

export function register(program: Command, ctx: Context): void {
  program
    .command('worker')
    .summary('run a worker process')
    .description('Run a worker serving the daily and/or backfill task queue (each its own pool of slots) until Ctrl-C; running steps finish first.')
    .option('--queues <list>', 'task queues to serve: daily, backfill or daily,backfill (default: CONVEYOR_WORKER_QUEUES, both)')
    .addHelpText('after', examples('npx conveyor worker', 'npx conveyor worker --queues backfill', 'CONVEYOR_DATA_DIR=/tmp/w2 npx conveyor worker --queues daily'))
    .action(async (opts: { queues?: string }) => {
      if (opts.queues !== undefined) parseOption('--queues', workerQueuesSchema, opts.queues); // bad input: refused before building anything
      void ctx.config; // and a bad environment
      const built = await run([NODE_FLAGS[0]!, NODE_FLAGS[1]!, path.join(ROOT, 'scripts', 'build-workflow-bundle.ts')]);
      ctx.exitCode = built !== 0 ? built : await run([...NODE_FLAGS, path.join(ROOT, 'workers', 'main.ts'), ...(opts.queues ? ['--queues', opts.queues] : [])], { ...process.env, ...WORKER_ENV });
    });
}
