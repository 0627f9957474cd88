/** Unit tests for the pure pieces: partition keys, failure classification, config, availability, generator. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { classOfError } from '../common/classify';
import { ObjectStoreUnavailable } from '../lake/object-store';
import { loadConfig, localHttpApiPort } from '../platform/config';
import { classifiedFailure, NON_RETRYABLE_FAILURE_TYPES, workStepRetryPolicy } from '../common/failure-classes';
import { addDays, countPartitions, isPartitionKey } from '../common/partition-key';
import { copyWithSha256 } from '../landing/landing-zone';
import { ordersPipeline } from '../pipelines/orders/definition';
import { definePipeline, loadSql, monitorWindowOf, sqlList, type PipelineDeclaration } from '../definitions/definition';
import { assertPartitionAvailable, deploymentRegistry, PipelineGraphError, PipelineRegistry } from '../definitions/registry';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../workers/node-flags';
import { missingSearchAttribute } from '../common/errors';
import { watchedChildren } from '../workflows/backfill';
import { contractSchemas } from '../scripts/contract';
import { backfillIdOf, monitorWorkflowIdOf, parsePartitionWorkflowId, partitionWorkflowId, scheduledWorkflowIdOf } from '../common/workflow-ids';

describe('partition keys', () => {
  it('accepts real dates only', () => {
    assert.ok(isPartitionKey('2024-02-29'));
    for (const bad of ['2023-02-29', '2024-13-01', '2024-1-01', 'yesterday', '2024-01-01T00:00']) assert.ok(!isPartitionKey(bad), bad);
  });
  it('does calendar arithmetic across months and leap years', () => {
    assert.equal(addDays('2024-02-28', 1), '2024-02-29');
    assert.equal(addDays('2024-03-01', -1), '2024-02-29');
    assert.equal(countPartitions('2016-01-01', '2025-12-31'), 3653);
    assert.equal(countPartitions('2024-01-02', '2024-01-01'), 0);
  });
});

describe('snapshot copies', () => {
  it('copy a file with its size and SHA-256, whatever its size against the read slice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-copy-'));
    try {
      // Empty, one byte, exactly one 1 MiB slice, and a slice and a half.
      for (const size of [0, 1, 1 << 20, (1 << 20) + (1 << 19) + 7]) {
        const content = randomBytes(size);
        const from = path.join(dir, `in-${size}`);
        fs.writeFileSync(from, content);
        const copied = await copyWithSha256(from, path.join(dir, `out-${size}`));
        assert.deepEqual(copied, { bytes: size, sha256: createHash('sha256').update(content).digest('hex') }, `size ${size}`);
        assert.ok(fs.readFileSync(path.join(dir, `out-${size}`)).equals(content), `copy of size ${size}`);
      }
      await assert.rejects(copyWithSha256(path.join(dir, 'missing'), path.join(dir, 'out-missing')), /ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('failure classification', () => {
  it('classifies DuckDB and Node errors', () => {
    assert.equal(classOfError(new Error('Parser Error: syntax error at or near "SELEC"')), 'code');
    assert.equal(classOfError(new Error('Binder Error: Referenced column "x" not found')), 'code');
    assert.equal(classOfError(new Error('Catalog Error: Table with name t does not exist')), 'code');
    assert.equal(classOfError(new Error("Conversion Error: Could not convert string 'x' to INT32")), 'data');
    assert.equal(classOfError(new Error('IO Error: Could not set lock on file')), 'transient');
    assert.equal(classOfError(new Error('TransactionContext Error: Catalog write-write conflict')), 'transient');
    assert.equal(classOfError(Object.assign(new Error('busy'), { code: 'EBUSY' })), 'transient');
    assert.equal(classOfError(Object.assign(new Error('gone'), { code: 'ENOENT' })), 'dependency');
    assert.equal(classOfError(new TypeError('x is undefined')), 'code', 'unknown errors are bugs, not retried');
  });
  it('classifies an object store that does not answer, refuses access or fails with 5xx/429 as transient', () => {
    assert.equal(classOfError(new ObjectStoreUnavailable('the S3 endpoint http://127.0.0.1:9 does not answer (ECONNREFUSED)')), 'transient');
    const s3Error = (status: number) => Object.assign(new Error('S3 said no'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: status } });
    assert.equal(classOfError(s3Error(503)), 'transient');
    assert.equal(classOfError(s3Error(429)), 'transient');
    assert.equal(classOfError(s3Error(400)), 'code');
  });
  it('marks data and code failures non-retryable, in the failure and in the policy', () => {
    for (const cls of ['data', 'code'] as const) {
      const failure = classifiedFailure(cls, { step: 'transform', message: 'm' });
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.nonRetryable, true);
      assert.ok(workStepRetryPolicy(5).nonRetryableErrorTypes?.includes(failure.type!));
    }
    assert.equal(classifiedFailure('transient', { step: 'ingest', message: 'm' }).nonRetryable, false);
    assert.deepEqual(NON_RETRYABLE_FAILURE_TYPES, ['DataFailure', 'CodeFailure']);
  });
  it('asks for a later retry on dependency failures', () => {
    const failure = classifiedFailure('dependency', { step: 'awaitLanding', message: 'm', retryAfterSeconds: 60 });
    assert.equal(failure.nextRetryDelay, '60 seconds');
  });
});

describe('config and availability', () => {
  it('rejects a bad environment value in one line naming it', () => {
    assert.throws(() => loadConfig({ TEMPORAL_ADDRESS: 'nope' }), /^ConfigError: invalid TEMPORAL_ADDRESS="nope": expected host:port/);
    assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /invalid LOG_LEVEL="loud"/);
  });
  it('reads where Temporal\'s HTTP API is (TEMPORAL_HTTP_URL): the port a local server serves it on, plain http only', () => {
    assert.equal(loadConfig({}).httpApiUrl, 'http://localhost:7243');
    assert.equal(localHttpApiPort(loadConfig({})), 7243);
    assert.equal(loadConfig({ TEMPORAL_HTTP_URL: 'http://127.0.0.1:7310/' }).httpApiUrl, 'http://127.0.0.1:7310');
    assert.equal(localHttpApiPort(loadConfig({ TEMPORAL_HTTP_URL: 'http://temporal.internal' })), 80);
    for (const bad of ['localhost:7243', 'ftp://localhost:7243', 'nope']) {
      assert.throws(() => loadConfig({ TEMPORAL_HTTP_URL: bad }), /^ConfigError: invalid TEMPORAL_HTTP_URL=".*": expected an http\(s\) URL, e\.g\. http:\/\/localhost:7243$/, bad);
    }
    const remote = loadConfig({ TEMPORAL_HTTP_URL: 'https://temporal.example.com' });
    assert.equal(remote.httpApiUrl, 'https://temporal.example.com');
    assert.throws(() => localHttpApiPort(remote), /^ConfigError: invalid TEMPORAL_HTTP_URL="https:\/\/temporal\.example\.com": a server Conveyor starts serves its HTTP API over plain http/);
  });
  it('refuses unknown pipelines, bad dates, and partitions that cannot have landed yet', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    assert.throws(() => deploymentRegistry().get('ordrs'), new RegExp(`unknown pipeline 'ordrs' \\(known: ${deploymentRegistry().names().join(', ')}\\)`));
    assert.throws(() => assertPartitionAvailable(ordersPipeline, '2024-02-30', now), /^InputError: orders: partition '2024-02-30' is not a day as YYYY-MM-DD, e.g. 2024-03-01$/);
    assert.throws(() => assertPartitionAvailable(ordersPipeline, '2026-11-24', now), /not available yet \(latest available: 2026-11-23/);
    assert.throws(() => assertPartitionAvailable(ordersPipeline, '2014-12-31', now), /before orders's first partition 2015-01-01/);
    assert.doesNotThrow(() => assertPartitionAvailable(ordersPipeline, '2026-11-23', now));
  });
});

describe('the pipeline graph', () => {
  const pipeline = (name: string, upstream: string[]) =>
    definePipeline({ ...ordersPipeline, name, ...(upstream.length ? { source: { kind: 'upstream', inputs: upstream.map((p) => ({ pipeline: p })) } } : {}) });
  it('refuses an unknown upstream, a cycle and a duplicate in one line', () => {
    assert.throws(() => new PipelineRegistry([pipeline('a', ['nope'])]), (e: Error) => e instanceof PipelineGraphError && e.message === "pipeline 'a': unknown upstream 'nope' (known: a)");
    assert.throws(
      () => new PipelineRegistry([pipeline('a', ['c']), pipeline('b', ['a']), pipeline('c', ['b']), pipeline('d', [])]),
      (e: Error) => e instanceof PipelineGraphError && e.message === 'pipelines depend on each other in a cycle: a → c → b → a',
    );
    assert.throws(() => new PipelineRegistry([pipeline('a', []), pipeline('a', [])]), /pipeline 'a' is defined twice/);
    const ok = new PipelineRegistry([pipeline('a', []), pipeline('b', ['a']), pipeline('c', ['a', 'b'])]);
    assert.deepEqual(ok.downstreamOf('a'), ['b', 'c']);
  });
  it('refuses a SQL placeholder without a value, and a value without a placeholder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-sql-'));
    fs.writeFileSync(path.join(dir, 'q.sql'), "SELECT * FROM raw WHERE c IN ({{LIST}})");
    assert.equal(loadSql(path.join(dir, 'q.sql'), { LIST: sqlList(["a", "o'b"]) }), "SELECT * FROM raw WHERE c IN ('a', 'o''b')");
    assert.throws(() => loadSql(path.join(dir, 'q.sql')), /q\.sql: no value for placeholder \{\{LIST\}\}/);
    assert.throws(() => loadSql(path.join(dir, 'q.sql'), { LIST: "'a'", OTHER: '1' }), /q\.sql: no placeholder for OTHER/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('worker process flags', () => {
  const root = path.resolve(__dirname, '..');
  it('npx conveyor worker is conveyor worker (which starts workers/main.ts with them), and the Dockerfile starts the worker with WORKER_NODE_FLAGS and WORKER_ENV', () => {
    const env = Object.entries(WORKER_ENV).map(([k, v]) => `${k}=${v}`);
    const workerScript = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.worker as string;
    assert.equal(workerScript, 'node cli/bin.js worker');
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    assert.deepEqual(JSON.parse(dockerfile.match(/^CMD (.*)$/m)?.[1] ?? '[]'), ['node', ...WORKER_NODE_FLAGS, 'workers/main.ts']);
    for (const line of env) assert.match(dockerfile, new RegExp(`^ENV ${line}$`, 'm'));
  });
});

describe('CLI errors', () => {
  it('recognises a server without Conveyor\'s search attributes, however deep the cause', () => {
    const grpc = new Error('3 INVALID_ARGUMENT: Namespace default has no mapping defined for search attribute RunKind');
    assert.equal(missingSearchAttribute(new Error('Failed to start Workflow', { cause: grpc })), 'RunKind');
    assert.equal(missingSearchAttribute(new Error('3 INVALID_ARGUMENT: something else')), undefined);
    assert.equal(missingSearchAttribute('not an error'), undefined);
  });
});

describe('the backfill watcher', () => {
  it('asks about carried and attached runs still in flight, never about a partition whose start is on its way', () => {
    // B carried from the earlier run, C attached to a daily run, A being started (no run yet), D started here, E carried and already counted.
    const state = { inFlight: { A: '', B: 'run-b', C: '', D: 'run-d' } };
    const thisRun = { watched: new Set(['B', 'C', 'E']) };
    assert.deepEqual(watchedChildren('orders', state, thisRun), [
      { partition: 'B', workflowId: 'orders.B', runId: 'run-b' },
      { partition: 'C', workflowId: 'orders.C', runId: '' },
    ]);
  });
});

describe('workflow IDs', () => {
  // What a URL path carries as it is and percent-encoded alike (Temporal's HTTP API splits on '/').
  const addressable = /^[A-Za-z0-9._~+:-]+$/;

  it('every ID Conveyor makes is addressable over HTTP: no / and nothing that needs encoding but + and :', () => {
    const ids = [
      partitionWorkflowId('clickstream', '2024-03-01T05'),
      partitionWorkflowId('orders', '2024-W10'),
      partitionWorkflowId('region_sales', 'apac'),
      backfillIdOf({ pipeline: 'orders', from: '2016-01-01', to: '2025-12-31', reprocess: 'missing', order: 'oldest-first' }),
      backfillIdOf({ pipeline: 'region_sales', from: 'eu', to: 'us', keys: ['eu', 'us'], reprocess: 'all', order: 'newest-first' }),
      `${scheduledWorkflowIdOf('orders')}-2024-03-02T02:00:00Z`,
      `${monitorWorkflowIdOf('orders')}-2024-03-02T02:05:00Z`,
    ];
    for (const id of ids) assert.match(id, addressable);
    assert.deepEqual(ids.slice(0, 4), ['clickstream.2024-03-01T05', 'orders.2024-W10', 'region_sales.apac', 'backfill.orders.2016-01-01..2025-12-31.missing.oldest-first']);
  });

  it('a partition run ID parses back into its pipeline and partition; other IDs do not', () => {
    assert.deepEqual(parsePartitionWorkflowId(partitionWorkflowId('customer_sessions', '2024-03-01')), { pipeline: 'customer_sessions', partition: '2024-03-01' });
    assert.equal(parsePartitionWorkflowId('orders'), undefined);
    assert.equal(parsePartitionWorkflowId('.2024-03-01'), undefined);
  });

  it('a long key list gets a short ID that differs when any key differs', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `tenant_${i}`);
    const req = { pipeline: 'tenants', from: keys[0]!, to: keys[299]!, reprocess: 'all', order: 'oldest-first' };
    const id = backfillIdOf({ ...req, keys });
    assert.match(id, /^backfill\.tenants\.keys-tenant_0\+298-more\+tenant_299-[0-9a-z]+\.all\.oldest-first$/);
    assert.match(id, addressable);
    assert.notEqual(backfillIdOf({ ...req, keys: keys.map((k) => (k === 'tenant_150' ? 'tenant_x' : k)) }), id);
    assert.equal(backfillIdOf({ ...req, keys: [...keys] }), id, 'the same list, the same ID: starting it again attaches');
  });
});

describe('the contract services read', () => {
  it("docs/contract/*.schema.json and docs/lake.md's run record table say what the code validates (npm run contract regenerates them)", () => {
    const names = Object.keys(contractSchemas());
    assert.ok(names.includes('contract/run-record.schema.json') && names.includes('lake.md'), names.join(', '));
    for (const [name, text] of Object.entries(contractSchemas())) {
      assert.equal(fs.readFileSync(path.join(__dirname, '..', 'docs', name), 'utf8'), text, `docs/${name} is stale: run npm run contract`);
    }
  });
});

describe('a definition: defaults by scheme, and the forms a bad field is told', () => {
  const minimal: PipelineDeclaration = {
    name: 'sales',
    description: 'sales',
    owner: 'team@example.com',
    partitions: { kind: 'daily', first: '2024-01-01', lag: 1 },
    source: { kind: 'files', format: 'csv', filePattern: /^part-\d+\.csv$/, columns: ['id'], marker: '_SUCCESS' },
    table: { columns: [{ name: 'id', type: 'VARCHAR' }], uniqueKey: ['id'] },
    transform: { kind: 'sql', sql: 'SELECT 1' },
  };
  const refused = (patch: Record<string, unknown>) => {
    try {
      definePipeline({ ...minimal, ...patch } as unknown as Parameters<typeof definePipeline>[0]);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('gives a minimal daily definition every setting it leaves out', () => {
    const p = definePipeline(minimal);
    assert.deepEqual(p.schedule, { at: '02:00', catchupWindowDays: 7, overlap: 'allow_all' });
    assert.deepEqual(p.readiness, { pollIntervalSeconds: 60, timeoutSeconds: 8 * 3600, backfillTimeoutSeconds: 120 });
    assert.deepEqual(p.steps, { timeoutSeconds: 600, maxAttempts: 5, localBelowBytes: 64 * 2 ** 20 });
    assert.deepEqual([p.quality.maxRejectedRatio, p.freshnessObjectiveHours, monitorWindowOf(p)], [0.01, 30, 14]);
    assert.deepEqual(p.monitors, { everyMinutes: 5, rowCount: { trailingPartitions: 7, minRatio: 0.5, maxRatio: 2 }, alerts: {} });
  });

  it('takes the defaults of its scheme and its source, and keeps what it declares', () => {
    const hourly = definePipeline({ ...minimal, partitions: { kind: 'hourly', first: '2024-01-01T00', lag: 1 }, readiness: { pollIntervalSeconds: 30 } });
    assert.deepEqual([hourly.schedule.at, hourly.freshnessObjectiveHours, hourly.readiness.timeoutSeconds, hourly.readiness.pollIntervalSeconds, monitorWindowOf(hourly)], [':10', 3, 3 * 3600, 30, 48]);
    const monthly = definePipeline({ ...minimal, partitions: { kind: 'monthly', first: '2024-01', lag: 1 }, schedule: { at: '2 05:00' } });
    assert.deepEqual([monthly.schedule.at, monthly.freshnessObjectiveHours, monthly.schedule.catchupWindowDays], ['2 05:00', 32 * 24, 7]);
    const derived = definePipeline({ ...minimal, source: { kind: 'upstream', inputs: [{ pipeline: 'orders', mapping: 'same' }] } });
    assert.equal(derived.quality.maxRejectedRatio, 0, 'rows from validated upstreams may not be rejected');
    assert.deepEqual(derived.source.kind === 'upstream' && derived.source.inputs[0]!.mapping, { kind: 'same' }, "'same' as a string is the same mapping");
  });

  it('refuses a bad field in one line naming the forms allowed', () => {
    assert.equal(refused({ source: { kind: 'upstream', inputs: [{ pipeline: 'orders', mapping: 'yesterday' }] } }), "pipeline 'sales': source.inputs.0.mapping: expected 'same', 'covering' or { kind: 'window', partitions: N }");
    assert.match(refused({ source: { kind: 'ftp' } }), /^pipeline 'sales': source\.kind: expected \{ kind: 'files', .*\{ kind: 'upstream', .*\{ kind: 'function', /);
    assert.match(refused({ partitions: 'daily' }), /^pipeline 'sales': partitions: expected \{ kind: 'hourly' \| 'daily' \| 'weekly' \| 'monthly', first, lag \} or \{ kind: 'static', keys: \[\.\.\.\] \}$/);
    assert.equal(refused({ schedule: { overlap: 'never' } }), "pipeline 'sales': schedule.overlap: expected one of allow_all, buffer_all, buffer_one, skip");
    assert.match(refused({ transform: { kind: 'pandas' } }), /^pipeline 'sales': transform\.kind: expected \{ kind: 'sql', sql \}, .*\{ kind: 'spark', job: 'module:function' \}$/);
    assert.equal(refused({ transform: { kind: 'spark', job: 'job:totals', master: 'yarn' } }), "pipeline 'sales': transform.master: expected local, local[N], local[*] or spark://host:port (a standalone master)");
    assert.match(refused({ transform: { kind: 'spark', job: 'job.py' } }), /^pipeline 'sales': transform\.job: module:function, e\.g\. 'job:daily_totals'/);
  });

  it('takes a spark transform on a standalone master, with its settings', () => {
    const p = definePipeline({ ...minimal, transform: { kind: 'spark', job: 'job:totals', master: 'spark://a:7077,b:7077', conf: { 'spark.executor.memory': '4g' } } });
    assert.deepEqual(p.transform, { kind: 'spark', job: 'job:totals', master: 'spark://a:7077,b:7077', conf: { 'spark.executor.memory': '4g' } });
    assert.equal(refused({ transform: { kind: 'spark', job: 'job:totals', conf: { 'executor.memory': '4g' } } }), "pipeline 'sales': transform.conf: executor.memory is not a Spark setting: expected spark.*");
  });
});
