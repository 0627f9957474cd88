/**
 * The payload codec: AES-256-GCM with key ids and rotation; with CONVEYOR_CODEC_KEYS set, a partition
 * run against a real server leaves no payload in clear in its history (search attributes still find
 * it), and the codec endpoint decodes them for the Web UI.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { loadConfig } from '../platform/config';
import { AesGcmCodec, codecKeysSchema, dataConverterOf, UnknownCodecKey } from '../platform/payload-codec';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { createCodecApp } from '../platform/codec-server';
import { startHarness, type Harness } from './helpers/harness';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';

const key = () => randomBytes(32).toString('base64');
const K1 = `k1:${key()}`;
const K2 = `k2:${key()}`;
const codecOf = (keys: string) => new AesGcmCodec(codecKeysSchema.parse(keys));
const plain = (text: string): Payload => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(text)) });

describe('AES-GCM payload codec', () => {
  it('round-trips, encrypts with the first key, decrypts with any listed one (rotation)', async () => {
    const [old] = await codecOf(K1).encode([plain('orders 2024-03-01')]);
    assert.equal(Buffer.from(old!.metadata!['encryption-key-id']!).toString(), 'k1');
    assert.ok(!Buffer.from(old!.data!).toString('latin1').includes('orders'));
    const rotated = codecOf(`${K2},${K1}`);
    assert.deepEqual(await rotated.decode([old!]), [plain('orders 2024-03-01')]);
    const [fresh] = await rotated.encode([plain('x')]);
    assert.equal(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString(), 'k2');
    await assert.rejects(codecOf(K2).decode([old!]), (err: Error) => err instanceof UnknownCodecKey && err.message === "a payload is encrypted with key id 'k1', which CONVEYOR_CODEC_KEYS does not hold (it has: k2)");
    const tampered = { ...old!, data: Buffer.from(old!.data!).map((b, i) => (i === 20 ? b ^ 1 : b)) };
    await assert.rejects(codecOf(K1).decode([tampered]), /Unsupported state or unable to authenticate data/);
    assert.deepEqual(await codecOf(K1).decode([plain('not encrypted')]), [plain('not encrypted')], 'payloads in clear pass through (histories from before the codec)');
  });

  it('refuses bad keys in one line, never showing one', () => {
    const short = `k1:${randomBytes(16).toString('base64')}`;
    assert.throws(() => loadConfig({ CONVEYOR_CODEC_KEYS: short }), (err: Error) => {
      assert.equal(err.message, 'invalid CONVEYOR_CODEC_KEYS="***": expected id:key pairs separated by commas, each key 32 random bytes in base64 (openssl rand -base64 32)');
      return true;
    });
    assert.throws(() => loadConfig({ CONVEYOR_CODEC_KEYS: `${K1},${K1}` }), (err: Error) => /key id k1 is listed twice/.test(err.message) && !err.message.includes(K1.slice(3)));
    const [sealed] = [{ metadata: { encoding: Buffer.from('binary/encrypted'), 'encryption-key-id': Buffer.from('k1') }, data: Buffer.alloc(10) }];
    return assert.rejects(codecOf(K1).decode([sealed]), /too short to be one: 10 bytes/);
  });
});

describe('a partition run with the codec on', () => {
  let h: Harness;
  let client: Client;
  before(async () => {
    h = await startHarness({ env: { CONVEYOR_CODEC_KEYS: `${K2},${K1}` } });
    client = new Client({ connection: h.env.connection, dataConverter: dataConverterOf(h.config) });
  }, START_HOOK_OPTIONS);
  after(async () => {
    await h?.stop();
  }, STOP_HOOK_OPTIONS);

  it('leaves no payload in clear in the history; the codec endpoint decodes them for the Web UI', async () => {
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-03-01', rows: 100, files: 1 });
    const run = await startPartitionRun(client, { pipeline: 'orders', partition: '2024-03-01', runKind: 'manual' }, { config: h.config, registry: h.registry });
    const outcome = await waitForPartitionRun(run);
    assert.equal(outcome.status === 'succeeded' && outcome.result.rows.published, 100, 'workers and client share the codec');

    // Read the history without the codec, as the server stores it.
    const history = await h.env.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const payloads: Payload[] = [];
    const walk = (v: unknown): void => {
      if (!v || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object) && 'data' in o) payloads.push(o as Payload);
      // Search attributes are indexed by the server, so never encoded: skip them.
      else for (const [k, child] of Object.entries(o)) if (k !== 'searchAttributes') walk(child);
    };
    walk(history.events);
    assert.ok(payloads.length >= 8, `inputs and results of the workflow and its steps: ${payloads.length}`);
    // Local-activity markers carry the SDK's own bookkeeping in clear (seq, attempt, activity type,
    // times; no user data); their results are encrypted like every other payload.
    const sdkMarker = (p: Payload) => /^\{"seq":\d+,"attempt":\d+,"activity_id":"\d+","activity_type":"\w+"/.test(Buffer.from(p.data!).toString());
    const clear = payloads.filter((p) => Buffer.from(p.metadata!.encoding!).toString() !== 'binary/encrypted' && !sdkMarker(p));
    assert.deepEqual(clear.map((p) => [Buffer.from(p.metadata!.encoding!).toString(), Buffer.from(p.data!).toString().slice(0, 80)]), []);
    assert.ok(!payloads.some((p) => Buffer.from(p.data!).toString('latin1').includes('part-0000.csv')), 'no landed file name in clear');
    // Search attributes stay readable: runs are still found by pipeline and partition.
    const found = [];
    for await (const w of client.workflow.list({ query: `Pipeline = "orders" AND \`Partition\` = "2024-03-01"` })) found.push(w.workflowId);
    assert.deepEqual(found, ['orders.2024-03-01']);

    const app = createCodecApp(new AesGcmCodec(h.config.codecKeys!), 'http://localhost:8233');
    const toJson = (p: Payload) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
      data: Buffer.from(p.data!).toString('base64'),
    });
    const response = await app.request('/decode', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8233', 'x-namespace': 'default' },
      body: JSON.stringify({ payloads: payloads.map(toJson) }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:8233');
    const decoded = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    const texts = decoded.payloads.map((p) => Buffer.from(p.data, 'base64').toString());
    assert.ok(texts.includes('"orders 2024-03-01 (manual run)"'), 'the run summary the Web UI shows');
    assert.ok(texts.some((t) => /"pipeline":"orders","partition":"2024-03-01"/.test(t)), 'the workflow input');
    const bad = await app.request('/decode', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nope":1}' });
    assert.equal(bad.status, 400);
    const preflight = await app.request('/decode', { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null, 'only the Web UI origin');
  });
});
