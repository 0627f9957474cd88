/**
 * A pipeline's own tests, without a server: write a sample partition with its generator into a
 * temporary landing zone, read it through its source module as a run would, and run its SQL. For an
 * upstream source, the SQL runs over empty inputs shaped like the upstreams' published tables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withDuckDB } from '../lake/duckdb';
import { FolderArea } from '../lake/area';
import { LakeLayout } from '../lake/layout';
import { publishedColumns } from '../lake/tables';
import { sourceOf } from '../sources';
import { describeTransform, transformOf } from '../transforms';
import { runPythonLocally } from '../transforms/python';
import { checkOutputColumns, TRANSFORM_REJECTS_TABLE } from '../transforms/output';
import { listDataFiles, MALFORMED_TABLE, partitionLandingDir } from '../sources/files';
import { viewNameOf, type FilesSource } from '../definitions/source-schema';
import { writeSourceRows } from '../sources/function';
import { partitionSchemeOf, sqlOf, sqlParamsOf, upstreamOf, type PipelineDefinition } from '../definitions/definition';
import type { SampleGenerator } from '../definitions/generator';
import { deploymentRegistry, PipelineRegistry } from '../definitions/registry';

export interface SampleCheck {
  /** Rows the SQL yielded, valid and rejected (with the first reasons). */
  valid: number;
  rejected: number;
  reasons: string[];
  /** Lines that could not be parsed at all (malformed CSV or JSON). */
  malformed: number;
}

/** Generate `partition` (files sources) and validate it as a run would, in a temporary folder. */
export async function checkPipelineSample(
  pipeline: PipelineDefinition,
  options: { generator?: SampleGenerator; partition?: string; upstream?: PipelineDefinition[] } = {},
): Promise<SampleCheck> {
  const scheme = partitionSchemeOf(pipeline);
  const partition = options.partition ?? scheme.first;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `conveyor-check-${pipeline.name}-`));
  try {
    // An upstream source's inputs: the definitions given, or this deployment's.
    const upstream = options.upstream ?? upstreamOf(pipeline).map((name) => deploymentRegistry().get(name));
    // Its folder, when the deployment knows it: a command's relative program path is from there.
    const folder = deploymentRegistry().find(pipeline.name) ? deploymentRegistry().folderOf(pipeline.name) : undefined;
    const registry = new PipelineRegistry([pipeline, ...upstream.filter((u) => u.name !== pipeline.name)], new Map(folder ? [[pipeline, folder]] : []));
    const deps = { registry, landing: new FolderArea(path.join(dir, 'landing')), lake: new LakeLayout(path.join(dir, 'lake')) };
    const { source } = sourceOf(pipeline);
    const params = sqlParamsOf(pipeline, partition, 'check');
    return await withDuckDB(async (db) => {
      if (source.kind === 'upstream') {
        // Empty inputs shaped like the upstreams' published tables.
        await db.run(MALFORMED_TABLE);
        for (const input of source.inputs) {
          const columns = publishedColumns(registry.get(input.pipeline)).filter(([name]) => name !== 'run_id');
          const shape = ['source_file VARCHAR', 'record_no BIGINT', ...columns.map(([name, type]) => `"${name}" ${type}`)].join(', ');
          await db.run(`CREATE TEMP TABLE "${viewNameOf(input)}" (${shape})`);
        }
        await db.run(`CREATE TEMP TABLE validated AS ${sqlOf(pipeline)}`, params);
        await db.run(TRANSFORM_REJECTS_TABLE);
        await checkOutputColumns(db, pipeline, describeTransform(pipeline));
      } else {
        // The input as a run snapshots it (the generator's landed files, or the function's rows as
        // JSON lines), read through the source module, then the SQL.
        const files = source.kind === 'files' ? await landSample(pipeline, source, deps.landing.root, partition, options.generator) : [path.join(dir, 'rows.jsonl')];
        if (source.kind === 'function') await writeSourceRows(pipeline, source, partition, files[0]!, { heartbeat: () => undefined, signal: new AbortController().signal });
        const { transform, module } = transformOf(pipeline);
        const signal = new AbortController().signal;
        // A `python` function or `spark` job runs here, in the project's Python environment (no Python worker).
        const produced = transform.kind === 'python' || transform.kind === 'spark' ? await runPythonLocally(pipeline, partition, { folder: folder ?? '', files, lakeDir: deps.lake.root }) : undefined;
        await module.run({ db, deps, pipeline, transform, partition, runId: 'check', files, params, stagingDir: dir, fileTag: 'check', heartbeat: () => undefined, signal, produced });
        await checkOutputColumns(db, pipeline, describeTransform(pipeline));
      }
      const counts = await db.queryOne<{ valid: bigint; rejected: bigint }>(
        'SELECT count(*) FILTER (WHERE reject_reason IS NULL) AS valid, count(*) FILTER (WHERE reject_reason IS NOT NULL) AS rejected FROM validated',
      );
      const reasons = await db.query<{ reject_reason: string }>('SELECT reject_reason FROM validated WHERE reject_reason IS NOT NULL LIMIT 5');
      // Records a command rejected itself (its CONVEYOR_REJECTS file) count as rejected too.
      const own = await db.query<{ reason: string }>('SELECT reason FROM transform_rejects ORDER BY source_file, record_no');
      const malformed = await db.queryOne<{ n: bigint }>('SELECT count(*) AS n FROM malformed');
      const rejected = Number(counts.rejected) + own.length;
      return { valid: Number(counts.valid), rejected, reasons: [...reasons.map((r) => r.reject_reason), ...own.map((r) => r.reason)].slice(0, 5), malformed: Number(malformed.n) };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The generator's sample partition, landed; its data files. */
async function landSample(pipeline: PipelineDefinition, source: FilesSource, landingDir: string, partition: string, generator: SampleGenerator | undefined): Promise<string[]> {
  if (!generator) throw new Error(`${pipeline.name}: pass its generator to check a files source`);
  await generator.generate({ landingDir, partition });
  const landed = partitionLandingDir(landingDir, pipeline, partition);
  return listDataFiles(landed, source).map((name) => path.join(landed, name));
}
