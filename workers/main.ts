/**
 * The worker process (`conveyor worker [--queues daily|backfill|daily,backfill]` starts it with its Node flags). Serves the
 * daily task queue, the backfill queue, or both (the default), each with its own pool of slots. Run
 * as many as you like, on this machine or others sharing the lake root (CONVEYOR_LAKE_DIR).
 * Waits for the server with backoff at start; shuts down gracefully on SIGINT/SIGTERM (running
 * activities finish first).
 */
import { landingOf } from '../landing/landing-zone';
import { Command, CommanderError } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, workerQueuesSchema } from '../platform/config';
import { getLogger } from '../platform/logger';
import { pruneStagingCache } from '../lake/janitor';
import { prepareLake, lakeOf } from '../lake/layout';
import { deploymentRegistry } from '../definitions/registry';
import { oneLineFailure } from '../common/errors';
import { temporalTarget, waitForServer } from '../platform/temporal';
import { parseOption } from '../common/options';
import { activityDeps } from '../activities/deps';
import { assertTransformsRunnable } from '../transforms';
import { createConveyorWorkers } from './create-worker';
import { installRuntime } from './runtime';

/** How long a starting worker waits for the server before giving up (a supervisor restarts it). */
const SERVER_WAIT_MS = 120_000;
/** How often a worker drops the cached staged files it has not used for a day (a lake in S3). */
const CACHE_PRUNE_EVERY_MS = 3600_000;

async function main(argv: string[]): Promise<void> {
  const program = new Command('conveyor worker')
    .option('--queues <list>', 'task queues to serve: daily, backfill or daily,backfill (default: CONVEYOR_WORKER_QUEUES)')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const { queues } = program.opts<{ queues?: string }>();
  const config = loadConfig();
  if (queues !== undefined) config.workerQueues = parseOption('--queues', workerQueuesSchema, queues);
  // The pipelines first: a broken or clashing definition stops the worker in one line, before anything starts.
  const registry = deploymentRegistry();
  assertTransformsRunnable(registry); // a transform's tool not installed (dbt): one line, nothing started
  const log = getLogger().child({ component: 'worker' });
  const lake = lakeOf(config);
  await prepareLake(lake, landingOf(config));
  installRuntime({ metricsPort: config.metricsPort });
  // The SDK stops the workers on the first SIGINT or SIGTERM; a repeated one (a terminal's Ctrl-C also
  // passed on by \`conveyor worker\`, a supervisor's second SIGTERM) must not kill the drain, which is
  // bounded by the shutdown grace and force times.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => log.info({ signal }, 'stopping: running steps finish first'));
  await waitForServer(temporalTarget(config), {
    timeoutMs: SERVER_WAIT_MS,
    onRetry: (attempt, delayMs) => log.warn({ temporal: config.temporalAddress, attempt, delayMs }, 'Temporal server not reachable yet; retrying'),
  });
  const connection = await NativeConnection.connect(temporalTarget(config));
  const deps = activityDeps(config, registry, lake);
  const workers = await createConveyorWorkers(
    { connection, namespace: config.namespace, deps, workflowBundlePath: config.workflowBundlePath },
    config,
  );
  log.info(
    {
      taskQueues: workers.map((w) => w.options.taskQueue),
      slots: { daily: config.dailyActivitySlots, backfill: config.backfillActivitySlots },
      temporal: config.temporalAddress,
      lake: lake.area.url,
      pipelines: registry.names(),
      metrics: config.metricsPort ? `http://0.0.0.0:${config.metricsPort}/metrics` : 'off (set CONVEYOR_METRICS_PORT)',
    },
    'worker started',
  );
  const pruning = setInterval(() => {
    pruneStagingCache(lake).then(
      (removed) => removed.length > 0 && log.info({ removed: removed.length }, 'dropped cached staged files unused for a day'),
      (err: unknown) => log.warn({ err: (err as Error).message }, 'could not prune the staging cache'),
    );
  }, CACHE_PRUNE_EVERY_MS);
  pruning.unref();
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    clearInterval(pruning);
    await connection.close();
    log.info('worker stopped');
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  // Bad input or configuration, or a server or store that does not answer: one line (common/errors.ts).
  const failure = oneLineFailure(err);
  if (failure) console.error(`conveyor worker: ${failure.line}`);
  else getLogger().fatal({ err }, 'worker crashed');
  process.exit(failure?.exitCode ?? 1);
});
