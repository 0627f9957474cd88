import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from './activities';
import { generateOrdersPartition } from './landing/generate-orders';
import { LakeLayout } from './lake/layout';
import { defaultRegistry } from './pipelines/registry';
async function main() {
  const rows = Number(process.env.ROWS ?? 100000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-'));
  const lake = new LakeLayout(path.join(dir, 'lake')); const landingDir = path.join(dir, 'landing');
  const acts = createActivities({ registry: defaultRegistry, landingDir, lake });
  for (let i = 0; i < 5; i++) {
    const partition = `2024-03-0${i + 1}`;
    generateOrdersPartition({ landingDir, partition, rows, files: 4 });
    const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 20000, currentAttemptScheduledTimestampMs: 1000 + i, workflowExecution: { workflowId: 'x', runId: `r${i}` } });
    const input = { pipeline: 'orders', partition };
    const t0 = performance.now();
    const ing: any = await env.run(acts.ingest, input);
    const t1 = performance.now();
    const tr: any = await env.run(acts.transform, { ...input, ingested: ing.staged });
    const t2 = performance.now();
    await env.run(acts.publish, { ...input, clean: tr.staged });
    const t3 = performance.now();
    console.log({ ingest: Math.round(t1 - t0), transform: Math.round(t2 - t1), publish: Math.round(t3 - t2), rowsPerSec: Math.round(rows / ((t3 - t0) / 1000)) });
  }
}
main();
