/**
 * Prometheus metrics from a real worker process (`CONVEYOR_METRICS_PORT`): the Temporal SDK's own and
 * Conveyor's counters (partitions published and failed by class, rows published and rejected), step
 * durations and the freshness lag the monitor saw, for a published and a failed partition.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import type { ConveyorConfig } from '../platform/config';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { freePort } from '../scripts/lib/ports';
import { startWorkerFleet, startWorkerProcess, stopWorkerProcess, type WorkerFleet, type WorkerProcess } from './helpers/worker-process';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';

let fleet: WorkerFleet;
let env: WorkerFleet['env'];
let config: ConveyorConfig;
let worker: WorkerProcess;
let metricsUrl: string;

before(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  fleet = await startWorkerFleet('metrics', { CONVEYOR_METRICS_PORT: String(port) });
  ({ env, config } = fleet);
  worker = await startWorkerProcess({ name: 'metrics', queues: 'daily,backfill', env: fleet.workerEnv, logDir: fleet.dataDir });
}, START_HOOK_OPTIONS);
after(async () => {
  if (worker) await stopWorkerProcess(worker);
  await fleet?.stop();
}, STOP_HOOK_OPTIONS);

/** `name{...labels...} value` lines of the exposition whose labels include every one given. */
function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

describe('metrics endpoint', () => {
  it("serves the SDK's metrics and Conveyor's counters, durations and freshness lag", async () => {
    const run = async (partition: string) =>
      waitForPartitionRun(await startPartitionRun(env.client, { pipeline: 'orders', partition, runKind: 'manual' }, { config, registry: deploymentRegistry() }));
    generateOrdersPartition({ landingDir: config.landingDir, partition: '2024-03-01', rows: 300, files: 1 });
    generateOrdersPartition({ landingDir: config.landingDir, partition: '2024-03-02', rows: 300, files: 1, faults: ['malformed'] });
    assert.equal((await run('2024-03-01')).status, 'succeeded');
    const failed = await run('2024-03-02');
    assert.equal(failed.status === 'failed' && failed.failure.failureClass, 'data');
    await env.client.workflow.execute('pipelineMonitor', { taskQueue: config.taskQueue, workflowId: 'orders.monitor-metrics-test', args: [{ pipeline: 'orders' }] });

    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    const text = await response.text();
    const orders = { pipeline: 'orders' };
    assert.deepEqual(samples(text, 'conveyor_partitions_published_total', orders), [1], text.slice(0, 2000));
    assert.deepEqual(samples(text, 'conveyor_partitions_failed_total', { ...orders, failure_class: 'data' }), [1]);
    assert.deepEqual(samples(text, 'conveyor_rows_published_total', orders), [300]);
    const rejected = samples(text, 'conveyor_rows_rejected_total', orders);
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0]! > 3, `rows rejected counted: ${rejected[0]}`);
    assert.ok(samples(text, 'conveyor_step_duration_count', { ...orders, step: 'publish' })[0]! >= 1, 'publish durations recorded');
    const lag = samples(text, 'conveyor_freshness_lag_hours', orders);
    assert.equal(lag.length, 1);
    assert.ok(lag[0]! > 24 * 365, `freshness lag of a 2024 partition, in hours: ${lag[0]}`);
    // The SDK's own metrics, from the same endpoint.
    assert.ok(samples(text, 'temporal_worker_task_slots_available').length > 0, 'temporal_* metrics served');
  });
});
