/**
 * A source that is code, end to end on a real local Temporal server with the real steps: a paginated
 * HTTP API (a local server) that answers 429 once and 500 once (transient: ingest retried, every row
 * once), a page that is not JSON (data: not retried, nothing published), a 404 (code: not retried).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { startBackfill } from '../client/backfills';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { definePipeline } from '../definitions/definition';
import { ordersPipeline } from '../pipelines/orders/definition';
import { PipelineRegistry } from '../definitions/registry';
import { HttpError, SourceDataError } from '../common/classify';
import type { SourceFunction } from '../definitions/source-schema';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { startHarness, type Harness } from './helpers/harness';

const PAGES = 3;
const PER_PAGE = 10;
const requests: string[] = [];
const failOnce = new Map<string, number>([['2024-04-01/1', 429], ['2024-04-01/2', 500]]);
let base = '';

const server = http.createServer((req, res) => {
  const url = new URL(req.url!, 'http://x');
  const day = url.searchParams.get('day')!;
  const page = Number(url.searchParams.get('page'));
  requests.push(`${day}/${page}`);
  const once = failOnce.get(`${day}/${page}`);
  if (once) {
    failOnce.delete(`${day}/${page}`);
    res.writeHead(once).end('try again');
    return;
  }
  if (day === '2024-04-03') return void res.writeHead(404).end('no such day');
  if (day === '2024-04-02' && page === 2) return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>maintenance</html>');
  const rows = Array.from({ length: PER_PAGE }, (_, i) => ({ id: `${day}-${page}-${i}`, amount: (i + 1) * 1.5 }));
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rows, next: page < PAGES ? page + 1 : null }));
});

/** The pipeline's code: pages through the API for the partition's day. */
const fetchSales: SourceFunction = async function* fetchSales({ partition, heartbeat, signal }) {
  for (let page: number | null = 1; page !== null; ) {
    const res = await fetch(`${base}/sales?day=${partition}&page=${page}`, { signal });
    if (!res.ok) throw new HttpError(res.status, `GET /sales?day=${partition}&page=${page}: HTTP ${res.status}`);
    const body = JSON.parse(await res.text()) as { rows?: unknown; next?: number | null };
    if (!Array.isArray(body.rows)) throw new SourceDataError(`page ${page} has no rows`);
    yield* body.rows as Record<string, unknown>[];
    heartbeat({ page });
    page = body.next ?? null;
  }
};

const salesPipeline = definePipeline({
  ...ordersPipeline,
  name: 'api_sales',
  description: 'Sales from a paginated HTTP API.',
  source: { kind: 'function', rows: fetchSales, columns: ['id', 'amount'] },
  quality: { maxRejectedRatio: 0 },
  table: {
    columns: [
      { name: 'id', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(12,2)' },
    ],
    uniqueKey: ['id'],
  },
  transform: { kind: 'sql', sql: `SELECT source_file, record_no, id, try_cast(amount AS DECIMAL(12,2)) AS amount,
                         CASE WHEN try_cast(amount AS DECIMAL(12,2)) IS NULL THEN 'amount is not a number' END AS reject_reason FROM raw` },
  steps: { timeoutSeconds: 60, maxAttempts: 5 },
});

let h: Harness;
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  h = await startHarness({ registry: new PipelineRegistry([salesPipeline]) });
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
  server.close();
}, STOP_HOOK_OPTIONS);
afterEach(() => h?.reset(), STOP_HOOK_OPTIONS);

const run = async (partition: string) =>
  waitForPartitionRun(await startPartitionRun(h.env.client, { pipeline: 'api_sales', partition }, { config: h.config, registry: h.registry }));

describe('a source that is code (function)', () => {
  it('pages through an HTTP API; a 429 and a 500 are retried as transient, and every row is published once', { timeout: 120_000 }, async () => {
    const outcome = await run('2024-04-01');
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
    assert.equal(outcome.status === 'succeeded' && outcome.result.attempts.ingest, 3, 'the 429, then the 500, then all pages');
    const [published] = await h.query<{ n: bigint; ids: bigint }>(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM showroom.api_sales WHERE partition_key = '2024-04-01'`);
    assert.deepEqual([published!.n, published!.ids], [BigInt(PAGES * PER_PAGE), BigInt(PAGES * PER_PAGE)]);
    const [file] = await h.query<{ file_name: string; rows: bigint; sha256: string }>(`SELECT file_name, rows, sha256 FROM meta.ingested_files WHERE pipeline = 'api_sales'`);
    assert.deepEqual([file!.file_name, file!.rows], ['rows.jsonl', BigInt(PAGES * PER_PAGE)]);
    assert.match(file!.sha256, /^[0-9a-f]{64}$/);
  });

  it('a page that is not what it should be fails the partition as data, not retried, nothing published', { timeout: 60_000 }, async () => {
    const outcome = await run('2024-04-02');
    assert.equal(outcome.status === 'failed' && outcome.failure.failureClass, 'data');
    assert.match(outcome.status === 'failed' ? outcome.failure.reason : '', /^api_sales\/2024-04-02: its source function failed after 10 row\(s\): /);
    assert.equal(requests.filter((r) => r === '2024-04-02/1').length, 1, 'not retried');
    assert.deepEqual(await h.query(`SELECT * FROM showroom.api_sales WHERE partition_key = '2024-04-02'`), []);
  });

  it('a 404 is a code failure, not retried; a backfill over the three days lists each outcome with its class', { timeout: 120_000 }, async () => {
    const outcome = await run('2024-04-03');
    assert.equal(outcome.status === 'failed' && outcome.failure.failureClass, 'code');
    assert.match(outcome.status === 'failed' ? outcome.failure.reason : '', /HTTP 404/);
    assert.equal(requests.filter((r) => r === '2024-04-03/1').length, 1, 'not retried');
    const result = await (await startBackfill(h.env.client, { pipeline: 'api_sales', from: '2024-04-01', to: '2024-04-03', reprocess: 'all' }, { config: h.config, registry: h.registry })).handle.result();
    assert.deepEqual([result.succeeded, result.failed], [1, 2]);
    assert.deepEqual(result.failures.map((f) => [f.partition, f.failureClass]).sort(), [['2024-04-02', 'data'], ['2024-04-03', 'code']]);
  });
});
