/**
 * The typed client as a package another Node project installs: `npm pack` in packages/client builds it
 * to JavaScript with type declarations; the tarball installed into a scratch project outside the
 * checkout type-checks against its declarations, then starts a partition on a real local Temporal
 * server with a real worker and waits for its outcome, as a service would.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { deploymentRegistry } from '../definitions/registry';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { startHarness, withReadiness, type Harness } from './helpers/harness';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);
let h: Harness;
let scratch: string;

before(async () => {
  h = await startHarness({ registry: withReadiness(deploymentRegistry(), { orders: { pollIntervalSeconds: 1, timeoutSeconds: 60 } }) });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-client-user-'));
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

const SERVICE = `const { Client, Connection } = require('@temporalio/client');
const { startPartition, waitForPartition } = require('@conveyor/client');

async function main([address, taskQueue, pipeline, partition]) {
  const connection = await Connection.connect({ address });
  try {
    const run = await startPartition(new Client({ connection }), { pipeline, partition }, { taskQueue });
    const outcome = await waitForPartition(run);
    console.log(JSON.stringify({ workflowId: run.workflowId, attached: run.attached, outcome }));
  } finally {
    await connection.close();
  }
}
main(process.argv.slice(2)).catch((err) => { console.error(err); process.exit(1); });
`;

const TYPED = `import { startPartition, waitForPartition, partitionWorkflowId, type PartitionOutcome } from '@conveyor/client';
import type { Client } from '@temporalio/client';

export async function publishedRows(client: Client): Promise<number> {
  const run = await startPartition(client, { pipeline: 'orders', partition: '2024-03-01' });
  const outcome: PartitionOutcome = await waitForPartition(run);
  const id: string = partitionWorkflowId('orders', '2024-03-01');
  return outcome.status === 'succeeded' ? outcome.result.rows.published : id.length;
}
`;

describe('the client as a package', () => {
  it('npm pack, installed into a project outside the checkout: its types check, and it starts a partition and waits for it', { timeout: 300_000 }, async () => {
    const packed = await run('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: path.join(ROOT, 'packages', 'client'), encoding: 'utf8', timeout: 180_000 });
    const tarball = path.join(scratch, packed.stdout.trim().split('\n').pop()!);
    assert.ok(fs.existsSync(tarball), `npm pack made ${tarball}`);

    fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'a-service', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], { cwd: scratch, encoding: 'utf8', timeout: 240_000 });
    const installed = path.join(scratch, 'node_modules', '@conveyor', 'client');
    assert.ok(fs.existsSync(path.join(installed, 'dist', 'client', 'service.d.ts')), 'type declarations are in the package');
    assert.ok(!fs.existsSync(path.join(installed, 'dist', 'lake')), 'nothing of the lake or the pipelines: a service needs none');

    // A TypeScript service type-checks against the package's declarations.
    fs.writeFileSync(path.join(scratch, 'typed.ts'), TYPED);
    fs.writeFileSync(path.join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', skipLibCheck: true, types: [] }, files: ['typed.ts'] }));
    await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', scratch], { cwd: scratch, encoding: 'utf8', timeout: 120_000 });

    // A JavaScript service starts a partition and waits for it.
    generateOrdersPartition({ landingDir: h.config.landingDir, partition: '2024-03-01', rows: 200, files: 1 });
    fs.writeFileSync(path.join(scratch, 'service.js'), SERVICE);
    const started = await run(process.execPath, ['service.js', h.env.address, h.config.taskQueue, 'orders', '2024-03-01'], { cwd: scratch, encoding: 'utf8', timeout: 120_000 });
    const answer = JSON.parse(started.stdout) as { workflowId: string; attached: boolean; outcome: { status: string; result: { rows: { published: number } } } };
    assert.deepEqual([answer.workflowId, answer.attached, answer.outcome.status], ['orders.2024-03-01', false, 'succeeded']);
    const [published] = await h.query<{ n: bigint }>(`SELECT count(*) AS n FROM showroom.orders WHERE partition_key = '2024-03-01'`);
    assert.equal(answer.outcome.result.rows.published, Number(published!.n));
  });
});
