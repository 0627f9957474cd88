/**
 * `conveyor worker [--queues daily|backfill] [--no-python]`: a worker process serving the daily and/or
 * backfill task queue. Builds the workflow bundle, then runs `workers/main.ts` with the worker's Node
 * flags (heap caps, fewer malloc arenas: workers/node-flags.ts) and passes Ctrl-C and SIGTERM on: the
 * running steps finish first. Both run as processes of their own, so this one stays small while the
 * worker runs. When a pipeline has a `python` transform on CONVEYOR_PYTHON_TASK_QUEUE, Conveyor's Python
 * worker runs beside it (unless --no-python: one runs elsewhere). Run as many as you like, here or on
 * machines sharing the lake.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { parseOption } from '../../common/options';
import { workerQueuesSchema } from '../../platform/config';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../workers/node-flags';
import { runChild, runChildren } from '../children';
import type { Context } from '../context';
import { examples } from '../output';
import { pythonWorkerChild } from './python-worker';
import { servedByPythonWorker } from '../../transforms/python-worker';

const ROOT = path.resolve(__dirname, '..', '..');
/** The worker's Node flags, with tsx's hook resolved from here: the command may run from any folder. */
const NODE_FLAGS = WORKER_NODE_FLAGS.map((flag) => (flag === 'tsx/cjs' ? require.resolve('tsx/cjs') : flag));

export function register(program: Command, ctx: Context): void {
  program
    .command('worker')
    .summary('run a worker process')
    .description('Run a worker serving the daily and/or backfill task queue (each its own pool of slots) until Ctrl-C; running steps finish first.')
    .option('--queues <list>', 'task queues to serve: daily, backfill or daily,backfill (default: CONVEYOR_WORKER_QUEUES, both)')
    .option('--no-python', "don't start the Python worker beside it (python transforms are served elsewhere: npx conveyor python-worker)")
    .addHelpText('after', examples('npx conveyor worker', 'npx conveyor worker --queues backfill', 'CONVEYOR_DATA_DIR=/tmp/w2 npx conveyor worker --queues daily'))
    .action(async (opts: { queues?: string; python: boolean }) => {
      if (opts.queues !== undefined) parseOption('--queues', workerQueuesSchema, opts.queues); // bad input: refused before building anything
      const { config, registry } = ctx; // and a bad environment or pipeline
      const python = opts.python && servedByPythonWorker(registry, config).length > 0 ? [pythonWorkerChild(config, registry)] : [];
      const built = await runChild({ command: process.execPath, args: [NODE_FLAGS[0]!, NODE_FLAGS[1]!, path.join(ROOT, 'scripts', 'build-workflow-bundle.ts')] });
      if (built !== 0) {
        ctx.exitCode = built;
        return;
      }
      const worker = { command: process.execPath, args: [...NODE_FLAGS, path.join(ROOT, 'workers', 'main.ts'), ...(opts.queues ? ['--queues', opts.queues] : [])], env: { ...process.env, ...WORKER_ENV } };
      ctx.exitCode = await runChildren([worker, ...python]);
    });
}
