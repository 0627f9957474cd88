/**
 * `npm run worker`: the Conveyor worker process. Serves the daily task queue and the backfill
 * queue, each with its own pool of slots (CONVEYOR_WORKER_QUEUES picks one or both). The DuckDB
 * warehouse has one writer, so with the embedded warehouse both queues run in this one process.
 * Shuts down gracefully on SIGINT/SIGTERM: running activities finish, then the warehouse closes.
 */
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../common/config';
import { getLogger } from '../common/logger';
import { defaultRegistry } from '../pipelines/registry';
import { Warehouse, WarehouseInUse } from '../warehouse/warehouse';
import { createConveyorWorkers, MissingWorkflowBundle } from './create-worker';
import { installRuntime } from './runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = getLogger().child({ component: 'worker' });
  installRuntime();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const warehouse = await Warehouse.open(config.warehousePath);
  const deps = { registry: defaultRegistry, landingDir: config.landingDir, warehouse };
  const workers = await createConveyorWorkers(
    { connection, namespace: config.namespace, deps, workflowBundlePath: config.workflowBundlePath },
    config,
  );
  log.info(
    {
      taskQueues: workers.map((w) => w.options.taskQueue),
      slots: { daily: config.dailyActivitySlots, backfill: config.backfillActivitySlots },
      temporal: config.temporalAddress,
      warehouse: config.warehousePath,
      pipelines: defaultRegistry.names(),
    },
    'worker started',
  );
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    warehouse.close();
    await connection.close();
    log.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  const oneLine = err instanceof ConfigError || err instanceof MissingWorkflowBundle || err instanceof WarehouseInUse;
  if (oneLine) console.error(`conveyor worker: ${(err as Error).message}`);
  else getLogger().fatal({ err }, 'worker crashed');
  process.exit(1);
});
