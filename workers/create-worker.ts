/**
 * Builds a Conveyor worker for one task queue: the workflow bundle, the activities bound to a
 * lake, landing zone and pipeline registry, and the slot limits of its pool.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Duration } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities/deps';
import type { ConveyorConfig } from '../platform/config';
import { dataConverterOf } from '../platform/payload-codec';
import { ProductionFirst } from './production-first';
import { Unavailable } from '../common/errors';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');
/**
 * Modules loaded once per workflow thread and shared by every workflow it runs (workflows/preload.ts:
 * zod), instead of evaluated again by each workflow as it starts.
 */
export const WORKFLOW_PRELOAD_MODULES = [path.resolve(__dirname, '../workflows/preload.ts')];

export interface ConveyorWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Path of the prebuilt bundle (`npm run build:workflows`); bundles at start when omitted. */
  workflowBundlePath?: string;
  /** Slot limits: a backfill pool gets smaller ones than the daily pool. */
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Slot suppliers instead of the limits above (a pool held back while the daily pool is busy). */
  tuner?: WorkerOptions['tuner'];
  /** For tests: replace activities with stubs. */
  activities?: object;
  /** The payload codec's keys (CONVEYOR_CODEC_KEYS), when payloads are encrypted. */
  codecKeys?: ConveyorConfig['codecKeys'];
  /**
   * How a stopping worker drains: steps get `graceTime` to finish before they are cancelled, and the
   * worker gives up after `forceTime` (a step that ignores cancellation cannot hold it open forever).
   */
  shutdown?: { graceTime: Duration; forceTime: Duration };
}

/**
 * The worker pools of one process: the daily queue and/or the backfill queue, each a separate
 * Worker with its own slots, sharing the connection. Any number of processes may serve either queue,
 * here or on other machines sharing the lake root: nothing is locked but one partition's commit.
 */
export async function createConveyorWorkers(
  base: Omit<ConveyorWorkerOptions, 'taskQueue' | 'maxConcurrentActivityTaskExecutions'>,
  config: Pick<
    ConveyorConfig,
    'workerQueues' | 'taskQueue' | 'backfillTaskQueue' | 'dailyActivitySlots' | 'backfillActivitySlots' | 'backfillShareWhileDaily' | 'codecKeys'
  >,
): Promise<Worker[]> {
  const workflowTasks = base.maxConcurrentWorkflowTaskExecutions ?? DEFAULT_WORKFLOW_TASK_SLOTS;
  const slots = {
    daily: { workflowTasks, activities: config.dailyActivitySlots },
    backfill: { workflowTasks, activities: config.backfillActivitySlots },
  };
  // Both pools in this process: the backfill pool yields to the daily pool (workers/production-first.ts).
  // At a share of 100 % there is nothing to hold back: the pools keep Temporal's fixed slots, and the
  // custom suppliers' calls into JavaScript (~2–3 ms of worker CPU per backfill partition) are saved.
  const bothPools = config.workerQueues.includes('daily') && config.workerQueues.includes('backfill');
  const gate = bothPools && config.backfillShareWhileDaily < 1 ? new ProductionFirst({ share: config.backfillShareWhileDaily }) : undefined;
  const pools = {
    daily: { taskQueue: config.taskQueue, maxConcurrentActivityTaskExecutions: config.dailyActivitySlots, tuner: gate?.dailyTuner(slots.daily) },
    backfill: { taskQueue: config.backfillTaskQueue, maxConcurrentActivityTaskExecutions: config.backfillActivitySlots, tuner: gate?.backfillTuner(slots.backfill) },
  };
  return Promise.all(config.workerQueues.map((queue) => createConveyorWorker({ ...base, ...pools[queue], codecKeys: config.codecKeys })));
}

const DEFAULT_WORKFLOW_TASK_SLOTS = 40;

/** How long a stopping worker (the Python worker too) lets its running steps finish. */
export const SHUTDOWN_GRACE_SECONDS = 30;
export const SHUTDOWN_GRACE_TIME = `${SHUTDOWN_GRACE_SECONDS} seconds`;
/** When a stopping worker gives up on steps that ignore their cancellation, and exits. */
export const SHUTDOWN_FORCE_TIME = '60 seconds';

export class MissingWorkflowBundle extends Unavailable {
  override name = 'MissingWorkflowBundle';
}

export async function createConveyorWorker(options: ConveyorWorkerOptions): Promise<Worker> {
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> = options.workflowBundlePath
    ? { workflowBundle: { codePath: requireBundle(options.workflowBundlePath) } }
    : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: WORKFLOW_PRELOAD_MODULES } };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...workflowSource,
    activities: options.activities ?? createActivities(options.deps),
    ...(options.tuner
      ? { tuner: options.tuner }
      : {
          maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 16,
          // Small partitions' steps run as local activities: the same limit as the pool's activities.
          maxConcurrentLocalActivityExecutions: options.maxConcurrentActivityTaskExecutions ?? 16,
          maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions ?? DEFAULT_WORKFLOW_TASK_SLOTS,
        }),
    // On SIGTERM/SIGINT: stop polling, let running steps finish for up to this long, then cancel them
    // (their partitions retry elsewhere: steps are idempotent).
    shutdownGraceTime: options.shutdown?.graceTime ?? SHUTDOWN_GRACE_TIME,
    shutdownForceTime: options.shutdown?.forceTime ?? SHUTDOWN_FORCE_TIME,
    ...(options.codecKeys ? { dataConverter: dataConverterOf(options) } : {}),
  });
}

function requireBundle(bundlePath: string): string {
  if (!fs.existsSync(bundlePath)) {
    throw new MissingWorkflowBundle(`no workflow bundle at ${bundlePath}: run \`npm run build:workflows\` first`);
  }
  return bundlePath;
}
