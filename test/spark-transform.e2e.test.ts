/**
 * The `spark` transform end to end: a real server, Conveyor's TypeScript worker, its Python worker, and
 * a real Spark standalone cluster (a master and a worker started from the PySpark package on loopback)
 * running a PySpark job of a pipeline's folder (test/fixtures/spark/). Published once with the right
 * rows, a rerun replaces it, rejects kept, the application's id recorded, each failure class reached
 * and classed, a cancelled run stops the driver and the application; then `local[1]`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { partitionRuns } from '../client/lake';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { definePipeline, partitionLandingDir, type PipelineDefinition } from '../pipelines/sdk';
import { PipelineRegistry } from '../definitions/registry';
import { freePort } from '../scripts/lib/ports';
import { alive, pidsFrom } from './helpers/pids';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { startHarness, withReadiness, type Harness } from './helpers/harness';
import { startPythonWorker, type PythonWorker } from './helpers/python-worker';
import { startSparkCluster, type SparkCluster } from './helpers/spark-cluster';

const FOLDER = path.join(__dirname, 'fixtures', 'spark');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-spark-'));
const taskQueue = `test-spark-${randomUUID()}`;

let cluster: SparkCluster;
let h: Harness;
let pythonWorker: PythonWorker;
let pythonWorkerEnv: NodeJS.ProcessEnv;
let onCluster: PipelineDefinition;
let local: PipelineDefinition;
let unreachable: PipelineDefinition;
let unreachableMaster: string;

function sparkPipeline(name: string, master: string, steps = { timeoutSeconds: 240, maxAttempts: 2 }): PipelineDefinition {
  return definePipeline({
    name,
    description: "A day's orders per currency, by a PySpark job.",
    owner: 'finance@example.com',
    partitions: { kind: 'daily', first: '2024-01-01', lag: 1 },
    source: { kind: 'files', format: 'csv', filePattern: /^part-\d+\.csv$/, columns: ['order_id', 'currency', 'amount'], marker: '_SUCCESS' },
    table: { columns: [{ name: 'currency', type: 'VARCHAR' }, { name: 'orders', type: 'BIGINT' }, { name: 'revenue', type: 'DECIMAL(14,2)' }], uniqueKey: ['currency'] },
    transform: { kind: 'spark', job: 'currency_job:totals', master, taskQueue },
    quality: { maxRejectedRatio: 0.5 },
    steps,
  });
}

before(async () => {
  cluster = await startSparkCluster(path.join(workDir, 'cluster'));
  onCluster = sparkPipeline('spark_totals', cluster.master);
  local = sparkPipeline('spark_local', 'local[1]');
  // Nothing listens there: the master cannot be reached.
  unreachableMaster = `spark://127.0.0.1:${await freePort()}`;
  unreachable = sparkPipeline('spark_nowhere', unreachableMaster, { timeoutSeconds: 60, maxAttempts: 1 });
  const all = [onCluster, local, unreachable];
  const registry = withReadiness(new PipelineRegistry(all, new Map(all.map((p) => [p, FOLDER]))), Object.fromEntries(all.map((p) => [p.name, { pollIntervalSeconds: 1, timeoutSeconds: 30 }])));
  h = await startHarness({ registry });
  pythonWorkerEnv = { ...process.env, TEMPORAL_ADDRESS: h.env.address, CONVEYOR_LAKE_DIR: h.config.lakeDir, CONVEYOR_PYTHON_TASK_QUEUE: taskQueue, CONTROL_DIR: workDir, SPARK_LOCAL_IP: '127.0.0.1' };
  pythonWorker = await startPythonWorker(pythonWorkerEnv);
}, { timeout: 600_000 });
after(async () => {
  await pythonWorker?.stop();
  await h?.stop();
  await cluster?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

function land(pipeline: PipelineDefinition, partition: string): void {
  const dir = partitionLandingDir(h.config.landingDir, pipeline, partition);
  fs.mkdirSync(dir, { recursive: true });
  const lines = ['order_id,currency,amount', '1,EUR,10.50', '2,EUR,4.25', '3,USD,7.00', '4,GBP,oops', '5,USD,1.00'];
  fs.writeFileSync(path.join(dir, 'part-0000.csv'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
}

async function run(pipeline: PipelineDefinition, partition: string) {
  land(pipeline, partition);
  const started = await startPartitionRun(h.env.client, { pipeline: pipeline.name, partition, runKind: 'manual' }, { config: h.config, registry: h.registry });
  return { started, outcome: await waitForPartitionRun(started) };
}

async function published(pipeline: PipelineDefinition, partition: string) {
  return h.query<{ currency: string; orders: bigint; revenue: string; run_id: string }>(
    `SELECT currency, orders, revenue::VARCHAR AS revenue, run_id FROM showroom.${pipeline.name} WHERE partition_key = '${partition}' ORDER BY currency`,
  );
}


async function activeApps(): Promise<string[]> {
  const state = (await (await fetch(`${cluster.ui}/json/`)).json()) as { activeapps: { id: string }[] };
  return state.activeapps.map((a) => a.id);
}

describe('a PySpark job on a Spark standalone cluster as the transform', { timeout: 900_000 }, () => {
  it("publishes the job's rows, keeps its rejects, records the application; a rerun replaces them", async () => {
    const first = await run(onCluster, '2024-03-01');
    assert.equal(first.outcome.status, 'succeeded', `${JSON.stringify(first.outcome)}\n${pythonWorker.log()}`);
    const [record] = await partitionRuns(h.config, 'spark_totals', '2024-03-01', h.registry);
    assert.equal(record!.transform?.kind, 'spark');
    assert.match(record!.transform!.engine, new RegExp(`^spark 4\\.\\d+\\.\\d+ \\(${cluster.master.replace(/[/.]/g, '\\$&')}, application app-[\\d-]+\\)$`));
    const again = await run(onCluster, '2024-03-01');
    assert.equal(again.outcome.status, 'succeeded', JSON.stringify(again.outcome));
    assert.deepEqual((await published(onCluster, '2024-03-01')).map((r) => [r.currency, r.orders, r.revenue, r.run_id]), [
      ['EUR', 2n, '14.75', again.started.runId],
      ['USD', 2n, '8.00', again.started.runId],
    ]);
    const rejects = await h.query<{ stage: string; reason: string }>("SELECT stage, reason FROM quality.rejects WHERE pipeline = 'spark_totals' AND partition_key = '2024-03-01'");
    assert.deepEqual(rejects, [{ stage: 'transform', reason: 'amount oops is not a number' }]);
  });

  it('a DataError is data, in its own words, never retried; nothing published', async () => {
    const { outcome } = await run(onCluster, '2024-03-02');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.step, outcome.failure.attempt], ['data', 'transform', 1]);
    assert.match(outcome.failure.reason, /^DataError: every amount is negative: the export is broken \(currency_job\.py:\d+\)$/);
    assert.deepEqual(await published(onCluster, '2024-03-02'), []);
  });

  it("a job that selects a column that is not there is code, in Spark's words and at the job's line", async () => {
    const { outcome } = await run(onCluster, '2024-03-03');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.attempt], ['code', 1]);
    assert.match(outcome.failure.reason, /^AnalysisException: .*no_such_column.* \(currency_job\.py:\d+\)$/);
  });

  it('a value Spark cannot cast is data', async () => {
    const { outcome } = await run(onCluster, '2024-03-04');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.attempt], ['data', 1]);
    assert.match(outcome.failure.reason, /CAST_INVALID_INPUT/);
  });

  it('a cancelled run stops the Spark driver and its application on the cluster', async () => {
    land(onCluster, '2024-03-05');
    const started = await startPartitionRun(h.env.client, { pipeline: 'spark_totals', partition: '2024-03-05', runKind: 'manual' }, { config: h.config, registry: h.registry });
    const [pid] = await pidsFrom(path.join(workDir, 'sleeper.pid'), 120_000);
    assert.equal((await activeApps()).length, 1, 'the application runs on the cluster');
    await started.handle.cancel();
    await assert.rejects(started.handle.result(), (err: unknown) => err instanceof WorkflowFailedError);
    for (let waited = 0; alive(pid!) || (await activeApps()).length > 0; waited += 500) {
      assert.ok(waited < 60_000, `the driver ${pid} (alive: ${alive(pid!)}) or the application still runs: ${(await activeApps()).join(', ')}\n${pythonWorker.log()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  it('a Python worker killed mid-job: its driver and application end with it, and a new worker publishes the partition once', async () => {
    land(onCluster, '2024-03-07');
    const started = await startPartitionRun(h.env.client, { pipeline: 'spark_totals', partition: '2024-03-07', runKind: 'manual' }, { config: h.config, registry: h.registry });
    const [pid] = await pidsFrom(path.join(workDir, 'crash.pid'), 120_000);
    await pythonWorker.crash();
    for (let waited = 0; alive(pid!) || (await activeApps()).length > 0; waited += 500) {
      assert.ok(waited < 60_000, `the driver ${pid} or the application outlived the worker: ${(await activeApps()).join(', ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    pythonWorker = await startPythonWorker(pythonWorkerEnv);
    const outcome = await waitForPartitionRun(started);
    assert.equal(outcome.status, 'succeeded', `${JSON.stringify(outcome)}\n${pythonWorker.log()}`);
    assert.deepEqual((await published(onCluster, '2024-03-07')).map((r) => [r.currency, r.orders, r.run_id]), [['EUR', 2n, started.runId], ['USD', 2n, started.runId]]);
  });

  it('a master that cannot be reached is transient, naming it', async () => {
    const { outcome } = await run(unreachable, '2024-03-01');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.deepEqual([outcome.failure.failureClass, outcome.failure.step], ['transient', 'transform']);
    assert.match(outcome.failure.reason, new RegExp(`^TransientError: the Spark master ${unreachableMaster.replace(/[/.]/g, '\\$&')} cannot be reached`));
  });

  it('runs on local[1] too, on the Python worker\'s machine', async () => {
    const { outcome } = await run(local, '2024-03-01');
    assert.equal(outcome.status, 'succeeded', `${JSON.stringify(outcome)}\n${pythonWorker.log()}`);
    assert.deepEqual((await published(local, '2024-03-01')).map((r) => [r.currency, r.orders, r.revenue]), [['EUR', 2n, '14.75'], ['USD', 2n, '8.00']]);
    const [record] = await partitionRuns(h.config, 'spark_local', '2024-03-01', h.registry);
    assert.match(record!.transform!.engine, /^spark 4\.\d+\.\d+ \(local\[1\], application local-\d+\)$/);
  });
});
