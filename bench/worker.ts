/**
 * The benchmark's worker process, started by `npm run bench` so that its memory and CPU are measured
 * apart from the bench's client and the server. Two roles:
 * - `conveyor`: Conveyor's daily and backfill pools, as `npm run worker` runs them, except that the
 *   steps of the `bench_noop` pipeline are no-ops (orchestration overhead only); `orders` runs for real.
 * - `ceiling`: a bare Temporal worker for `ceilingWorkflow` (three no-op activities), the yardstick.
 * Configured by the same environment as `npm run worker`; tells its parent "ready" over IPC and exits
 * on SIGTERM once its workers have drained.
 */
import { temporalTarget } from '../platform/temporal';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig } from '../platform/config';
import type { UnfinishedRunRecord } from '../common/run-record';
import type { StepInput } from '../common/run-types';
import { lakeOf } from '../lake/layout';
import { createConveyorWorkers } from '../workers/create-worker';
import { installRuntime } from '../workers/runtime';
import { benchRegistry, NOOP_PIPELINES } from './pipelines';
import { activityDeps } from '../activities/deps';

const CEILING_TASK_QUEUE = 'bench-ceiling'; // must match bench/noop.ts

async function conveyorWorkers(connection: NativeConnection): Promise<{ workers: Worker[]; close: () => void }> {
  const config = loadConfig();
  const registry = benchRegistry(process.env.CONVEYOR_BENCH_KINDS === '1');
  const deps = activityDeps(config, registry, lakeOf(config));
  const real = createActivities(deps);
  const attempt = () => ({ attempt: Context.current().info.attempt, durationMs: 0 });
  const noopSteps = {
    awaitLanding: async () => ({ files: 1, bytes: 1, ...attempt() }),
    ingest: async () => ({ files: [], staged: { files: [] }, bytes: 1, ...attempt() }),
    transform: async () => ({ files: [], rowsIn: 1, rowsValid: 1, rowsRejected: 0, rowsDuplicate: 0, rowsOut: 1, staged: 'none', ...attempt() }),
    publish: async () => ({ rowsPublished: 1, ...attempt() }),
  };
  // bench_noop partitions get no-op steps; orders gets the real ones. Bookkeeping is always real.
  const pick = <K extends keyof typeof noopSteps>(step: K) =>
    (async (input: StepInput) =>
      NOOP_PIPELINES.has(input.pipeline) ? noopSteps[step]() : (real[step] as (i: StepInput) => Promise<unknown>)(input)) as (typeof real)[K];
  const activities = {
    ...real,
    awaitLanding: pick('awaitLanding'),
    ingest: pick('ingest'),
    transform: pick('transform'),
    publish: pick('publish'),
    recordRun: (m: UnfinishedRunRecord) => real.recordRun(m),
  };
  const workers = await createConveyorWorkers(
    { connection, namespace: config.namespace, deps, workflowBundlePath: config.workflowBundlePath, activities },
    config,
  );
  return { workers, close: () => undefined };
}

async function ceilingWorker(connection: NativeConnection): Promise<{ workers: Worker[]; close: () => void }> {
  const config = loadConfig();
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: CEILING_TASK_QUEUE,
    workflowBundle: { codePath: config.workflowBundlePath },
    activities: { noop: async () => undefined },
    maxConcurrentActivityTaskExecutions: config.backfillActivitySlots,
  });
  return { workers: [worker], close: () => undefined };
}

async function main(role: string | undefined): Promise<void> {
  if (role !== 'conveyor' && role !== 'ceiling') throw new Error(`unknown role ${JSON.stringify(role)}: expected conveyor or ceiling`);
  installRuntime();
  const connection = await NativeConnection.connect(temporalTarget(loadConfig()));
  const { workers, close } = role === 'conveyor' ? await conveyorWorkers(connection) : await ceilingWorker(connection);
  // The SDK's runtime shuts every worker down on SIGTERM/SIGINT; run() then resolves once drained.
  const running = Promise.all(workers.map((w) => w.run()));
  process.send?.({ ready: true });
  await running;
  close();
  await connection.close();
}

main(process.argv[2]).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
