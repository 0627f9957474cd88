/**
 * Hostile landing files, through the real steps on a real server: garbage bytes, wrong column counts,
 * a 10 MB line, a wrong encoding, an empty file, a header only. Each partition ends as a `data`
 * failure or publishes its good rows with the bad ones in the reject bin; never a code failure, a
 * retry storm or a hang; and the worker goes on serving other partitions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { addDays } from '../common/partition-key';
import { ordersPipeline } from '../pipelines/orders/definition';
import { filesSourceOf } from '../sources/files';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { startHarness, type Harness } from './helpers/harness';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';

let h: Harness;
before(async () => {
  h = await startHarness();
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
}, STOP_HOOK_OPTIONS);

const HEADER = filesSourceOf(ordersPipeline).columns.join(',');
/** Valid order rows of `partition`'s day. */
const goodRows = (partition: string, n: number) => Array.from({ length: n }, (_, i) => `o-${i},c-${i},${partition} 10:00:00,${(i % 90) + 10}.50,EUR,paid`).join('\n');

/** Landing files as given (bytes), then the readiness marker. */
function land(partition: string, files: Record<string, Buffer | string>): void {
  const dir = path.join(h.config.landingDir, 'orders', `date=${partition}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  fs.writeFileSync(path.join(dir, filesSourceOf(ordersPipeline).marker), '');
}

type Files = Record<string, Buffer | string>;
const CASES: [string, (partition: string) => Files, 'data' | 'rejects'][] = [
  ['garbage bytes', () => ({ 'part-0000.csv': Buffer.from(Array.from({ length: 65_536 }, (_, i) => (i * 7919 + 13) % 256)) }), 'data'],
  ['wrong column counts', (p) => ({ 'part-0000.csv': `${HEADER}\n${goodRows(p, 400)}\no-x,c-x,${p} 10:00:00\no-y,c-y,${p} 10:00:00,1.00,EUR,paid,extra,extra\n` }), 'rejects'],
  ['a 10 MB line', (p) => ({ 'part-0000.csv': `${HEADER}\n${goodRows(p, 400)}\no-big,${'x'.repeat(10 * 1024 * 1024)},${p} 10:00:00,1.00,EUR,paid\n` }), 'rejects'],
  ['a wrong encoding (UTF-16)', (p) => ({ 'part-0000.csv': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\n${goodRows(p, 20)}\n`, 'utf16le')]) }), 'data'],
  ['Latin-1 bytes in a field', (p) => ({ 'part-0000.csv': Buffer.concat([Buffer.from(`${HEADER}\n${goodRows(p, 400)}\no-l,`), Buffer.from([0xe9, 0xe8]), Buffer.from(`,${p} 10:00:00,1.00,EUR,paid\n`)]) }), 'rejects'],
  ['an empty file', () => ({ 'part-0000.csv': '' }), 'data'],
  ['a header only', () => ({ 'part-0000.csv': `${HEADER}\n` }), 'data'],
];

describe('hostile landing files', () => {
  CASES.forEach(([name, files, expected], i) => {
    it(`${name}: ${expected === 'data' ? 'a data failure' : 'good rows published, bad ones rejected'}, nothing else`, async () => {
      const partition = addDays('2024-04-01', i);
      land(partition, files(partition));
      const started = Date.now();
      const outcome = await waitForPartitionRun(await startPartitionRun(h.env.client, { pipeline: 'orders', partition, runKind: 'manual' }, { config: h.config, registry: h.registry }));
      assert.ok(Date.now() - started < 60_000, `ended within a minute (${Date.now() - started} ms)`);
      if (expected === 'data') {
        assert.equal(outcome.status, 'failed', JSON.stringify(outcome));
        assert.equal(outcome.status === 'failed' && outcome.failure.failureClass, 'data', JSON.stringify(outcome));
        const published = await h.query(`SELECT count(*) AS n FROM showroom.orders WHERE partition_key = '${partition}'`);
        assert.equal(Number(published[0]!.n), 0, 'nothing published');
      } else {
        assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome));
        const [rejects] = await h.query(`SELECT count(*) AS n FROM quality.rejects WHERE partition_key = '${partition}'`);
        assert.ok(Number(rejects!.n) >= 1, 'the bad rows are in the reject bin');
        assert.equal(outcome.status === 'succeeded' && outcome.result.rows.published, 400);
      }
      const [run] = await h.query<{ attempts: string }>(`SELECT attempts::VARCHAR AS attempts FROM meta.partition_runs WHERE partition_key = '${partition}'`);
      assert.doesNotMatch(run!.attempts, /[2-9]/, `no retries of bad data: ${run!.attempts}`);
    });
  });

  it('the worker still serves a good partition afterwards', async () => {
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-05-01', rows: 100, files: 1 });
    const outcome = await waitForPartitionRun(await startPartitionRun(h.env.client, { pipeline: 'orders', partition: '2024-05-01', runKind: 'manual' }, { config: h.config, registry: h.registry }));
    assert.equal(outcome.status, 'succeeded');
  });
});
