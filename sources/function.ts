/**
 * The `function` source: the pipeline's own code yields the partition's rows (an HTTP API, a database
 * query). Ingest runs it as a heartbeating step and writes what it yields as JSON lines into the run's
 * staging folder, with their checksum: from there on the run reads its snapshot, like landed files.
 * What the code throws is classed: HTTP 429 and 5xx (and network errors) transient, retried by the
 * step's policy from the start (idempotent: nothing is kept from a failed attempt); other 4xx code;
 * a bad page data. It is always ready: the code is the readiness.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { classOfSourceError } from '../common/classify';
import { classifiedFailure, type FailureClass } from '../common/failure-classes';
import { partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import { filesSource } from './files';
import type { FunctionSource, SourceFunctionContext } from '../definitions/source-schema';
import type { SourceModule } from './source';

const ROWS_FILE = 'rows.jsonl';

export const functionSource: SourceModule<FunctionSource> = {
  async readiness() {
    return { ready: true, files: 0, bytes: 0 };
  },

  async snapshot({ pipeline, source, partition, ctx, stagingDir }) {
    const file = path.join(stagingDir, `fetched.${ctx.fileTag}`, ROWS_FILE);
    const activity = Context.current();
    let written: Awaited<ReturnType<typeof writeSourceRows>>;
    try {
      written = await writeSourceRows(pipeline, source, partition, file, { heartbeat: (details) => activity.heartbeat(details), signal: activity.cancellationSignal });
    } catch (err) {
      const rows = (err as { rowsWritten?: number }).rowsWritten ?? 0;
      throw classifiedFailure(classOfSourceError(err), {
        step: ctx.step,
        message: `${pipeline.name}/${partition}: its source function failed after ${rows} row(s): ${err instanceof Error ? err.message : String(err)}`,
        details: { attempt: ctx.attempt },
      });
    }
    return { files: [{ name: ROWS_FILE, path: file, ...written }] };
  },

  // The snapshot is JSON lines: read it as the files source reads JSON lines.
  defineInputs(db, call, files) {
    const asFiles = { kind: 'files', format: 'jsonl', filePattern: /^rows\.jsonl$/, columns: call.source.columns, marker: '-' } as const;
    return filesSource.defineInputs(db, { ...call, source: asFiles }, files);
  },
};

/**
 * Run a function source for `partition` and write what it yields to `file` as JSON lines, with their
 * size and SHA-256: what ingest snapshots, and what a pipeline's own test reads (pipelines/check.ts).
 * An error of the function is rethrown with `rowsWritten` on it.
 */
export async function writeSourceRows(
  pipeline: PipelineDefinition,
  source: FunctionSource,
  partition: string,
  file: string,
  run: Pick<SourceFunctionContext, 'heartbeat' | 'signal'>,
): Promise<{ rows: number; bytes: number; sha256: string }> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file);
  // A write error fails the call at the end; after a failed fetch the stream is destroyed, and what
  // it says then is of no interest.
  let writeError: Error | undefined;
  out.on('error', (err) => (writeError ??= err));
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  const scheme = partitionSchemeOf(pipeline);
  const window = scheme.isTime ? scheme.windowOf(partition) : undefined;
  try {
    for await (const row of source.rows({ partition, window: window && { start: new Date(window.startMs), end: new Date(window.endMs) }, ...run })) {
      const line = `${JSON.stringify(row)}\n`;
      hash.update(line);
      bytes += Buffer.byteLength(line);
      rows += 1;
      if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      if (rows % 10_000 === 0) run.heartbeat({ rows });
    }
  } catch (err) {
    out.destroy();
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { rowsWritten: rows });
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  if (writeError) throw writeError;
  return { rows, bytes, sha256: hash.digest('hex') };
}
