/**
 * The data path's floor, for `npm run bench`'s real section: the orders partitions it just ran through
 * Conveyor, done again by one process with no Temporal at all. Each partition gets the same work as a
 * run's steps: the landed files copied into staging with their SHA-256 (ingest), the same views and
 * validation SQL and the same Parquet writes and reject-bin commit (transform's `transformInDuckDB`),
 * and the clean file committed into the lake (publish's commit). `concurrency` partitions at a time, on
 * the worker's engine settings. Started by the bench with the worker's Node flags; prints one JSON line:
 * `{ seconds, rows, cpuMs }`.
 *
 * Usage: node bench/bare-pipeline.ts '<json: { landingDir, lakeDir, partitions, concurrency }>'
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { activityDeps } from '../activities/deps';
import { transformInDuckDB } from '../activities/transform';
import { loadConfig } from '../platform/config';
import { commitFile } from '../lake/commit';
import { withDuckDB } from '../lake/duckdb';
import { LakeLayout } from '../lake/layout';
import { snapshotFiles } from '../landing/landing-zone';
import { ordersPipeline } from '../pipelines/orders/definition';
import { PipelineRegistry } from '../definitions/registry';
import { filesSourceOf, listDataFiles, partitionLandingDir } from '../sources/files';

const argsSchema = z.object({
  landingDir: z.string().min(1),
  lakeDir: z.string().min(1),
  partitions: z.array(z.string()).min(1),
  concurrency: z.number().int().min(1),
});

async function main(): Promise<void> {
  const args = argsSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  const registry = new PipelineRegistry([ordersPipeline]);
  const lake = new LakeLayout(args.lakeDir);
  const deps = activityDeps({ ...loadConfig(), landingDir: args.landingDir }, registry, lake);
  const source = filesSourceOf(ordersPipeline);
  const runId = `bare-${process.pid}`;
  let rows = 0;

  const one = async (partition: string) => {
    const stagingDir = lake.runStagingDir(ordersPipeline.name, partition, runId);
    const landing = partitionLandingDir(args.landingDir, ordersPipeline, partition);
    const snapshot = await snapshotFiles(listDataFiles(landing, source).map((name) => path.join(landing, name)), path.join(stagingDir, 'landed'));
    const version = { scheduledMs: Date.now(), runId, workflowId: 'bare', attempt: 1 };
    const cleanFile = path.join(stagingDir, 'clean.parquet');
    await withDuckDB(async (db) => {
      const result = await transformInDuckDB(db, {
        deps, pipeline: ordersPipeline, partition, runId, version, files: snapshot.map((f) => f.path), cleanFile, rejectsFile: path.join(stagingDir, 'rejects.parquet'),
        stagingDir, fileTag: 'bare', heartbeat: () => undefined, signal: new AbortController().signal,
      });
      await commitFile(db, { staged: cleanFile, target: lake.publishedFile(ordersPipeline.name, partition), version });
      rows += result.rowsIn;
    });
    await fs.promises.rm(stagingDir, { recursive: true, force: true });
  };

  const cpu = process.cpuUsage();
  const started = performance.now();
  const queue = [...args.partitions];
  await Promise.all(
    Array.from({ length: Math.min(args.concurrency, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await one(next);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ seconds, rows, cpuMs: (used.user + used.system) / 1000 }));
}

main().catch((err: unknown) => {
  console.error(`bare pipeline: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
