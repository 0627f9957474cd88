/**
 * Services in any language start and watch partitions with a pipeline name and a partition key, on
 * the stack `npm start` runs (the dev server started from the configuration by the code `npx conveyor
 * server` and `npx conveyor start` run, on free ports) and a real worker: over Temporal's HTTP API
 * with curl, at TEMPORAL_HTTP_URL as docs/services.md says (started, its result read back over HTTP;
 * started again while it runs, it attaches), and from Python with the Temporal Python SDK running
 * docs/examples/python/start_partition.py as a service would. The data holds what the result says.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { partitionFailureSchema, partitionRunResultSchema } from '../common/run-contract';
import { partitionWorkflowId } from '../common/workflow-ids';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { deploymentRegistry } from '../definitions/registry';
import { loadConfig } from '../platform/config';
import { startConfiguredDevServer, type RunningDevServer } from '../scripts/lib/dev-server';
import { freePort } from '../scripts/lib/ports';
import { PYTHON } from '../scripts/python-env';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS, waitFor } from './helpers/bounds';
import { startHarness, withReadiness, type Harness } from './helpers/harness';

const ROOT = path.resolve(__dirname, '..');
const execFileAsync = promisify(execFile);
let server: RunningDevServer;
let serverDataDir: string;
let h: Harness;
let api: string;

/** Distinct loopback ports free now: none of them a user's server's. */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

before(async () => {
  const [grpc, ui, http] = await freePorts(3);
  // What a user sets to move the stack: the server's address, the Web UI's URL, the HTTP API's URL.
  const where = { TEMPORAL_ADDRESS: `127.0.0.1:${grpc}`, TEMPORAL_UI_URL: `http://localhost:${ui}`, TEMPORAL_HTTP_URL: `http://localhost:${http}` };
  serverDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-services-server-'));
  server = await startConfiguredDevServer(loadConfig({ ...process.env, ...where, CONVEYOR_DATA_DIR: serverDataDir }), { log: () => undefined, progress: () => undefined });
  h = await startHarness({
    server: { address: server.address },
    env: where,
    registry: withReadiness(deploymentRegistry(), { orders: { pollIntervalSeconds: 1, timeoutSeconds: 120 } }),
  });
  // Where the configuration says, as docs/services.md has services call it (not where the server says it is).
  api = `${h.config.httpApiUrl}/api/v1/namespaces/${h.config.namespace}/workflows`;
}, START_HOOK_OPTIONS);
after(async () => {
  try {
    await h?.stop();
  } finally {
    await server?.stop();
    if (serverDataDir) fs.rmSync(serverDataDir, { recursive: true, force: true });
  }
}, STOP_HOOK_OPTIONS);
afterEach(() => h?.reset(), STOP_HOOK_OPTIONS);

/**
 * One HTTP call with curl, as a shell script of a service would make it; the JSON answer. Run
 * asynchronously: the worker lives in this process and must keep working while curl waits.
 */
async function curl(method: 'GET' | 'POST', url: string, body?: object): Promise<Record<string, unknown>> {
  const args = ['-sS', '--max-time', '60', '-X', method, url, ...(body ? ['-H', 'Content-Type: application/json', '-d', JSON.stringify(body)] : [])];
  const { stdout } = await execFileAsync('curl', args, { encoding: 'utf8', timeout: 70_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Start a partition over HTTP: the documented body, attaching to the run if the partition is running. */
const startOverHttp = async (pipeline: string, partition: string) =>
  (await curl('POST', `${api}/${partitionWorkflowId(pipeline, partition)}`, {
    workflowType: { name: 'partitionPipeline' },
    taskQueue: { name: h.config.taskQueue },
    input: [{ pipeline, partition }],
    workflowIdConflictPolicy: 'WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING',
  })) as { runId: string; started?: boolean };

/** The run's result, read over HTTP: its close event, long-polled until the run closes. */
async function resultOverHttp(workflowId: string, runId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const page = (await curl('GET', `${api}/${workflowId}/history?execution.runId=${runId}&waitNewEvent=true&historyEventFilterType=HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT`)) as {
      history?: { events?: { eventType: string; workflowExecutionCompletedEventAttributes?: { result: Record<string, unknown>[] } }[] };
    };
    const closed = page.history?.events?.[0];
    if (!closed) continue; // the long poll ended before the run did: ask again
    assert.equal(closed.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', JSON.stringify(closed));
    return closed.workflowExecutionCompletedEventAttributes!.result[0]!;
  }
}

describe('services in any language', () => {
  it('the dev server `npm start` runs serves the HTTP API at TEMPORAL_HTTP_URL, and reports it there', async () => {
    assert.equal(server.httpUrl, h.config.httpApiUrl);
    const info = await curl('GET', `${h.config.httpApiUrl}/api/v1/system-info`);
    assert.equal(typeof info.serverVersion, 'string', JSON.stringify(info));
  });

  it('curl over the HTTP API: a partition started with its pipeline and key runs, and its result is read back over HTTP', { timeout: 120_000 }, async () => {
    const landed = generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-03-01', rows: 500, files: 2 });
    const started = await startOverHttp('orders', '2024-03-01');
    assert.equal(started.started, true);
    const result = await resultOverHttp('orders.2024-03-01', started.runId);
    partitionRunResultSchema.parse(result); // the documented result (docs/contract/partition-run-result.schema.json)
    assert.equal(result.status, 'succeeded');
    assert.equal(result.workflowId, 'orders.2024-03-01');
    assert.equal(result.runKind, 'manual');
    const [published] = await h.query<{ n: bigint }>(`SELECT count(*) AS n FROM showroom.orders WHERE partition_key = '2024-03-01'`);
    assert.equal((result.rows as { published: number }).published, Number(published!.n));
    assert.equal((result.rows as { in: number }).in, landed.rowsWritten);
  });

  it('curl: starting the partition again while it runs attaches to that run instead of starting another', { timeout: 120_000 }, async () => {
    const first = await startOverHttp('orders', '2024-03-02'); // no data yet: it waits
    await waitFor(() => h.logLines.some((l) => l.msg === 'awaitLanding failed' && l.partition === '2024-03-02'), 'the run to wait for its data');
    const again = await startOverHttp('orders', '2024-03-02');
    assert.equal(again.runId, first.runId, 'the same run');
    assert.notEqual(again.started, true);
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-03-02', rows: 100, files: 1 });
    assert.equal((await resultOverHttp('orders.2024-03-02', first.runId)).status, 'succeeded');
    const runs = await h.query<{ n: bigint }>(`SELECT count(*) AS n FROM meta.partition_runs WHERE partition_key = '2024-03-02'`);
    assert.equal(runs[0]!.n, 1n, 'one run of the partition');
  });

  it('Python (the Temporal Python SDK): the documented example starts a partition and prints its result; a failed one prints its class', { timeout: 180_000 }, async () => {
    const python = (partition: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(PYTHON, [path.join(ROOT, 'docs', 'examples', 'python', 'start_partition.py'), h.env.address, h.config.taskQueue, 'orders', partition]);
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => resolve({ code, out, err }));
      });
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-03-03', rows: 300, files: 1 });
    const ok = await python('2024-03-03');
    assert.equal(ok.code, 0, ok.err);
    const result = partitionRunResultSchema.parse(JSON.parse(ok.out));
    assert.deepEqual([result.status, result.workflowId], ['succeeded', 'orders.2024-03-03']);
    const [published] = await h.query<{ n: bigint }>(`SELECT count(*) AS n FROM showroom.orders WHERE partition_key = '2024-03-03'`);
    assert.equal(result.rows.published, Number(published!.n));

    // A fifth of this day's lines are malformed (over the 1 % orders allows): a data failure, with its class, step and reason.
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-03-04', rows: 50, files: 1, faults: ['malformed'] });
    const bad = await python('2024-03-04');
    assert.equal(bad.code, 1, bad.err);
    const failed = (JSON.parse(bad.out) as { failed: { type: string; message: string; failure: unknown } }).failed;
    const failure = partitionFailureSchema.parse(failed.failure); // the documented failure record
    assert.equal(failed.type, 'DataFailure');
    assert.deepEqual([failure.failureClass, failure.step], ['data', 'transform']);
    assert.match(failed.message, /^orders\/2024-03-04 failed at transform \(data failure\): /);
  });
});
