/**
 * End to end: real Temporal server, real worker, real activities on generated files and the lake.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPartitionRun, waitForPartitionRun, type PartitionRunRequest } from '../client/partition-runs';
import { statusReport, statusText } from '../client/status';
import { PARTITION_SA, PIPELINE_SA, RUN_KIND_SA } from '../common/search-attributes';
import { generateOrdersPartition, type Fault, type FaultKind } from '../pipelines/orders/generate';
import { definePipeline } from '../definitions/definition';
import { ordersPipeline } from '../pipelines/orders/definition';
import { PipelineRegistry } from '../definitions/registry';
import type { FileArea } from '../lake/area';
import { filesUnder, startHarness, withReadiness, type Harness } from './helpers/harness';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';

// A second pipeline whose SQL has a bug: its failures must be classified `code` and never retried.
const brokenPipeline = definePipeline({
  ...ordersPipeline,
  name: 'orders_broken',
  table: { ...ordersPipeline.table },
  transform: { kind: 'sql', sql: 'SELECT no_such_column FROM raw' },
});

let h: Harness;

before(async () => {
  h = await startHarness({
    registry: withReadiness(new PipelineRegistry([ordersPipeline, brokenPipeline]), { orders: { pollIntervalSeconds: 1, timeoutSeconds: 3 } }),
    // The landing zone's storage fails the first two reads of one partition's files (EIO), as a flaky disk would.
    wrapDeps: (deps) => ({ ...deps, landing: failingReads(deps.landing, '/date=2024-01-03/', 2) }),
  });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
}, STOP_HOOK_OPTIONS);

/** `area`, whose first `failures` fetches of a path containing `fragment` fail with EIO. */
function failingReads(area: FileArea, fragment: string, failures: number): FileArea {
  let failed = 0;
  return new Proxy(area, {
    get(target, property, receiver) {
      if (property !== 'fetch') return Reflect.get(target, property, receiver) as unknown;
      return async (file: string, ...rest: unknown[]) => {
        if (file.includes(fragment) && failed < failures) {
          failed += 1;
          throw Object.assign(new Error(`EIO: i/o error, read '${file}'`), { code: 'EIO' });
        }
        return (target.fetch as (...args: unknown[]) => unknown).call(target, file, ...rest);
      };
    },
  });
}

function land(partition: string, faults: (Fault | FaultKind)[] = [], rows = 1000) {
  return generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows, files: 2, faults });
}

async function run(partition: string, extra: Partial<PartitionRunRequest> = {}) {
  const started = await startPartitionRun(
    h.env.client,
    { pipeline: 'orders', partition, runKind: 'manual', ...extra },
    { config: h.config, registry: h.registry },
  );
  return { started, outcome: await waitForPartitionRun(started) };
}

/** A count from the lake, read through the same views as `npx conveyor sql`. */
async function count(sql: string): Promise<number> {
  const rows = await h.query<{ n: bigint }>(sql);
  return Number(rows[0]!.n);
}

describe('partitionPipeline end to end', () => {
  it('ingests, transforms and publishes a partition, and leaves a manifest and findable run', async () => {
    const landed = land('2024-01-01', ['duplicates']);
    const { started, outcome } = await run('2024-01-01');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    if (outcome.status !== 'succeeded') return;
    assert.equal(outcome.result.rows.in, landed.rowsWritten);
    assert.equal(outcome.result.rows.published, landed.validOrders);
    assert.equal(outcome.result.rows.duplicate, landed.duplicateRows);
    assert.equal(outcome.result.rows.rejected, 0);
    assert.equal(outcome.result.files, 2);
    assert.deepEqual(outcome.result.attempts, { awaitLanding: 1, ingest: 1, transform: 1, publish: 1 });

    assert.equal(await count(`SELECT count(*) n FROM showroom.orders WHERE partition_key = '2024-01-01'`), landed.validOrders);
    assert.equal(await count(`SELECT count(DISTINCT order_id) n FROM showroom.orders`), landed.validOrders);
    assert.equal(await count(`SELECT count(*) n FROM meta.ingested_files WHERE partition_key = '2024-01-01'`), 2);
    assert.equal(await count(`SELECT sum(rows) n FROM meta.ingested_files WHERE run_id = '${started.runId}' AND length(sha256) = 64`), landed.rowsWritten);
    assert.equal(
      await count(`SELECT count(*) n FROM meta.partition_runs WHERE run_id = '${started.runId}' AND status = 'succeeded'`),
      1,
    );
    assert.deepEqual(filesUnder(path.join(h.lake.root, 'staging')), [], 'staging is cleared when the run ends');
    const partitionDir = path.dirname(h.lake.publishedFile('orders', '2024-01-01'));
    assert.deepEqual(fs.readdirSync(partitionDir), ['data.parquet'], 'the partition folder holds its file and nothing else');

    const description = await started.handle.describe();
    assert.equal(description.typedSearchAttributes.get(PIPELINE_SA), 'orders');
    assert.equal(description.typedSearchAttributes.get(PARTITION_SA), '2024-01-01');
    assert.equal(description.typedSearchAttributes.get(RUN_KIND_SA), 'manual');
    assert.equal(await description.staticSummary(), 'orders 2024-01-01 (manual run)');

    const activityLines = h.logLines.filter((l) => l.step === 'ingest' && l.workflowId === started.workflowId);
    assert.ok(activityLines.length > 0, 'activities log structured lines');
    for (const line of activityLines) {
      for (const key of ['workflowId', 'runId', 'pipeline', 'partition', 'attempt']) assert.ok(key in line, `log line has ${key}`);
    }
  });

  it('a rerun replaces the partition instead of duplicating it', async () => {
    const landed = land('2024-01-02');
    const first = await run('2024-01-02');
    const second = await run('2024-01-02');
    assert.equal(first.outcome.status, 'succeeded');
    assert.equal(second.outcome.status, 'succeeded');
    assert.notEqual(first.started.runId, second.started.runId);
    assert.equal(await count(`SELECT count(*) n FROM showroom.orders WHERE partition_key = '2024-01-02'`), landed.validOrders);
    assert.equal(
      await count(`SELECT count(*) n FROM showroom.orders WHERE partition_key = '2024-01-02' AND run_id = '${second.started.runId}'`),
      landed.validOrders,
    );
    // Ingested files are evidence of each run: two runs, two files each, none duplicated within a run.
    assert.equal(await count(`SELECT count(*) n FROM meta.ingested_files WHERE partition_key = '2024-01-02' AND run_id = '${second.started.runId}'`), 2);
    assert.equal(await count(`SELECT count(*) n FROM meta.ingested_files WHERE partition_key = '2024-01-02'`), 4);
    assert.equal(await count(`SELECT count(*) n FROM meta.published_partitions WHERE partition_key = '2024-01-02' AND run_id = '${second.started.runId}'`), 1);
  });

  it('retries a transient read failure and succeeds, counting the attempts', async () => {
    land('2024-01-03');
    const { outcome } = await run('2024-01-03');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    if (outcome.status === 'succeeded') assert.equal(outcome.result.attempts.ingest, 3);
  });

  it('fails a partition with bad data once, without retry, and fills the reject bin', async () => {
    const landed = land('2024-01-04', ['malformed']);
    const { started, outcome } = await run('2024-01-04');
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.equal(outcome.failure.failureClass, 'data');
    assert.equal(outcome.failure.step, 'transform');
    assert.equal(outcome.failure.attempt, 1);
    assert.equal(outcome.failure.rejectedRows, landed.malformedRows);
    assert.ok((outcome.failure.sampleReasons ?? []).length > 0);
    assert.match(outcome.message, /orders\/2024-01-04 failed at transform \(data failure\): \d+ of \d+ rows rejected/);
    assert.equal(
      await count(`SELECT count(*) n FROM quality.rejects WHERE partition_key = '2024-01-04' AND run_id = '${started.runId}'`),
      landed.malformedRows,
    );
    assert.ok(await count(`SELECT count(*) n FROM quality.rejects WHERE partition_key = '2024-01-04' AND stage = 'parse'`) > 0);
    // Every row rejected by validation keeps its raw record, as landed, for the operator to inspect.
    const transformRejects = await h.query<{ raw_record: string }>(
      `SELECT raw_record FROM quality.rejects WHERE partition_key = '2024-01-04' AND stage = 'validate'`,
    );
    assert.ok(transformRejects.length > 0);
    for (const { raw_record } of transformRejects) {
      assert.deepEqual(Object.keys(JSON.parse(raw_record) as object), ['order_id', 'customer_id', 'ordered_at', 'amount', 'currency', 'status']);
    }
    assert.equal(await count(`SELECT count(*) n FROM showroom.orders WHERE partition_key = '2024-01-04'`), 0);
    assert.equal(
      await count(`SELECT count(*) n FROM meta.partition_runs WHERE run_id = '${started.runId}' AND status = 'failed' AND failure_class = 'data'`),
      1,
    );
  });

  it('fails a code error (bad SQL) on the first attempt', async () => {
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-01-05', rows: 100, files: 1 });
    // The generator writes under `orders`; point the broken pipeline at the same files.
    fs.cpSync(path.join(h.config.landingDir, 'orders'), path.join(h.config.landingDir, 'orders_broken'), { recursive: true });
    const { outcome } = await run('2024-01-05', { pipeline: 'orders_broken' });
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.equal(outcome.failure.failureClass, 'code');
    assert.equal(outcome.failure.step, 'transform');
    assert.equal(outcome.failure.attempt, 1);
    assert.match(outcome.failure.reason, /Binder Error/);
  });

  it('fails as a dependency failure when data never lands before the readiness deadline', async () => {
    land('2024-01-06', ['no-marker']);
    const { outcome } = await run('2024-01-06'); // orders' readiness here: polled every second, for 3 s
    assert.equal(outcome.status, 'failed');
    if (outcome.status !== 'failed') return;
    assert.equal(outcome.failure.failureClass, 'dependency', outcome.failure.reason);
    assert.equal(outcome.failure.step, 'awaitLanding');
  });

  it("status names a pipeline's last run even when its partition is far before the days it shows", async () => {
    land('2024-01-06');
    const { started, outcome } = await run('2024-01-06');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    const report = await statusReport(h.config, h.registry, { client: h.env.client, days: 7 });
    const orders = report.pipelines.find((p) => p.pipeline === 'orders')!;
    assert.deepEqual([orders.lastRun?.partition, orders.lastRun?.runId, orders.lastRun?.status, orders.lastRun?.runKind], ['2024-01-06', started.runId, 'succeeded', 'manual']);
    assert.match(statusText(report), /last run: +2024-01-06 succeeded, manual, finished /);
  });
});
