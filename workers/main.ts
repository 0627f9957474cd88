/**
 * `npm run worker`: the Conveyor worker process. Serves the daily task queue and, unless
 * CONVEYOR_WORKER_QUEUES says otherwise, the backfill queue with its own smaller pool.
 * Shuts down gracefully on SIGINT/SIGTERM: running activities finish, then the warehouse closes.
 */
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../common/config';
import { getLogger } from '../common/logger';
import { defaultRegistry } from '../pipelines/registry';
import { Warehouse } from '../warehouse/warehouse';
import { createConveyorWorker, MissingWorkflowBundle } from './create-worker';
import { installRuntime } from './runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = getLogger().child({ component: 'worker' });
  installRuntime();
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const warehouse = await Warehouse.open(config.warehousePath);
  const deps = { registry: defaultRegistry, landingDir: config.landingDir, warehouse };
  const worker = await createConveyorWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    deps,
    workflowBundlePath: config.workflowBundlePath,
  });
  log.info(
    { taskQueue: config.taskQueue, temporal: config.temporalAddress, warehouse: config.warehousePath, pipelines: defaultRegistry.names() },
    'worker started',
  );
  try {
    await worker.run();
  } finally {
    warehouse.close();
    await connection.close();
    log.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  const oneLine = err instanceof ConfigError || err instanceof MissingWorkflowBundle;
  if (oneLine) console.error(`conveyor worker: ${(err as Error).message}`);
  else getLogger().fatal({ err }, 'worker crashed');
  process.exit(1);
});
