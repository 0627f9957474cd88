/**
 * The `files` source: a partition's files land in `<landingDir>/<pipeline>/<segment>=<key>/`, and a
 * marker file written last says they are complete. CSV (with a header), JSON lines or Parquet, read by
 * DuckDB with every declared column as text; lines that are not well-formed CSV or JSON become
 * rejects (stage `parse`), and a Parquet file without a declared column is a data failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { classifiedFailure } from '../common/failure-classes';
import { sqlIdent, sqlString } from '../common/sql';
import type { FileArea } from '../lake/area';
import { columnsArgument } from '../lake/tables';
import { snapshotFiles } from '../landing/landing-zone';
import type { PipelineDefinition } from '../definitions/definition';
import type { FilesSource } from '../definitions/source-schema';
import type { InputsInfo, Readiness, SourceModule, SourceRunContext } from './source';

/** The landing folder segment of each scheme (`date=` for days, as before). */
const SEGMENT = { hourly: 'hour', daily: 'date', weekly: 'week', monthly: 'month', static: 'key' } as const;

export function partitionLandingDir(landingDir: string, pipeline: Pick<PipelineDefinition, 'name' | 'partitions'>, partition: string): string {
  return path.join(landingDir, pipeline.name, `${SEGMENT[pipeline.partitions.kind]}=${partition}`);
}

export function filesSourceOf(pipeline: PipelineDefinition): FilesSource {
  if (pipeline.source.kind !== 'files') throw new Error(`pipeline '${pipeline.name}' reads ${pipeline.source.kind}, not landed files`);
  return pipeline.source;
}

const isDataFile = (name: string, source: FilesSource) => source.filePattern.test(name);

/** Names of the partition's data files in a local folder, sorted; empty when the folder is missing. */
export function listDataFiles(dir: string, source: FilesSource): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => isDataFile(name, source)).sort();
}

/** The partition's landed files (one listing, wherever the landing zone is): its data files, sorted, with their sizes. */
async function landedFiles(landing: FileArea, dir: string, source: FilesSource) {
  const all = await landing.files(dir);
  const data = [...all.keys()].filter((name) => isDataFile(name, source)).sort();
  return { all, data, bytes: data.reduce((sum, name) => sum + all.get(name)!, 0) };
}

export const filesSource: SourceModule<FilesSource> = {
  async readiness({ deps, pipeline, source, partition, force }): Promise<Readiness> {
    const dir = partitionLandingDir(deps.landing.root, pipeline, partition);
    const landed = await landedFiles(deps.landing, dir, source);
    if (!force && !landed.all.has(source.marker)) {
      return { ready: false, failureClass: 'dependency', why: `no ${source.marker} marker in ${deps.landing.shown(dir)}` };
    }
    if (landed.data.length === 0) {
      return { ready: false, failureClass: 'data', why: `${force ? '' : `${source.marker} is present but `}no data files match ${source.filePattern} in ${deps.landing.shown(dir)}` };
    }
    return { ready: true, files: landed.data.length, bytes: landed.bytes };
  },

  async snapshot(run: SourceRunContext<FilesSource>) {
    const { deps, ctx, pipeline, source, partition, force, stagingDir } = run;
    const dir = partitionLandingDir(deps.landing.root, pipeline, partition);
    const landed = await landedFiles(deps.landing, dir, source);
    if (!force && !landed.all.has(source.marker)) {
      throw classifiedFailure('dependency', {
        step: ctx.step,
        message: `${pipeline.name}/${partition}: ${source.marker} marker disappeared from ${deps.landing.shown(dir)}`,
        retryAfterSeconds: pipeline.readiness.pollIntervalSeconds,
        details: { attempt: ctx.attempt },
      });
    }
    // A landing zone in S3: each file is fetched into its local cache first (by ETag), then snapshotted.
    const local: { file: string; etag: string | undefined }[] = [];
    for (const name of landed.data) {
      const file = await deps.landing.fetch(path.join(dir, name));
      if (file === undefined) {
        // Listed a moment ago, gone now (re-dropped, removed): never publish the partition without it.
        throw classifiedFailure('dependency', {
          step: ctx.step,
          message: `${pipeline.name}/${partition}: ${deps.landing.shown(path.join(dir, name))} disappeared while the partition was read`,
          retryAfterSeconds: pipeline.readiness.pollIntervalSeconds,
          details: { attempt: ctx.attempt },
        });
      }
      local.push({ file, etag: await deps.landing.cachedVersion(file) });
    }
    const snapshot = (await snapshotFiles(local.map((l) => l.file), path.join(stagingDir, `landed.${ctx.fileTag}`))).map((f, i) => ({
      ...f,
      copyOf: { area: deps.landing, ...local[i]! },
    }));
    if (snapshot.length === 0) {
      throw classifiedFailure('data', {
        step: ctx.step,
        message: `${pipeline.name}/${partition}: no data files match ${source.filePattern} in ${deps.landing.shown(dir)}`,
        details: { attempt: ctx.attempt },
      });
    }
    return { files: snapshot };
  },

  async defineInputs(db, { source, step }, files): Promise<InputsInfo> {
    const textColumns = columnsArgument(source.columns.map((c) => [c, 'VARCHAR'] as const));
    const names = source.columns.map(sqlIdent).join(', ');
    const scan = (file: string, from: string) =>
      `SELECT ${sqlString(path.basename(file))} AS source_file, row_number() OVER () AS record_no, ${names} FROM ${from}`;
    await db.run(MALFORMED_TABLE);
    const info = { rejectRecord: 'raw', rawColumns: source.columns, rowsPerFile: 'validated' } as const;
    switch (source.format) {
      case 'csv': {
        // A view: rows are parsed as validation reads them (copying the text first cost as much as parsing).
        const scans = files.map((file) =>
          scan(file, `read_csv(${sqlString(file)}, header = true, auto_detect = false, delim = ',', quote = '"', columns = ${textColumns},
                     store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`),
        );
        await db.run(`CREATE TEMP VIEW raw AS ${scans.join(' UNION ALL ')}`);
        return {
          ...info,
          // The scans record lines that are not well-formed CSV while validation reads them: one row per
          // bad line (DuckDB reports one error per missing column).
          afterValidation: (db) =>
            db.run(`INSERT INTO malformed
                    SELECT parse_filename(s.file_path), r.line, 'malformed CSV line: ' || r.error_message, r.csv_line
                    FROM csv_rejects r JOIN csv_reject_scans s USING (scan_id, file_id)
                    QUALIFY row_number() OVER (PARTITION BY r.scan_id, r.line ORDER BY r.column_idx) = 1`),
        };
      }
      case 'jsonl': {
        // Fast path: a view over DuckDB's JSON reader, every declared field as text, parsed as
        // validation reads it (as CSV is; reading it into a table first cost a third more). A line that
        // is not a JSON object fails validation's read; then the source reads each line as text, so the
        // bad lines become rejects instead of failing the partition or being lost.
        const reads = files.map((file) => scan(file, `read_json(${sqlString(file)}, format = 'newline_delimited', columns = ${textColumns}, maximum_object_size = 16777216)`));
        await db.run(`CREATE TEMP VIEW raw AS ${reads.join(' UNION ALL ')}`);
        return {
          ...info,
          fallback: async (db, err) => {
            if (!/Invalid Input Error|Malformed JSON|Conversion Error/.test(String(err))) return undefined;
            await db.run('DROP VIEW raw');
            const lines = files.map(
              (file) =>
                `SELECT ${sqlString(path.basename(file))} AS source_file, row_number() OVER () AS record_no, line
                 FROM read_csv(${sqlString(file)}, header = false, auto_detect = false, delim = E'\\x1f', quote = '', escape = '',
                               columns = {'line': 'VARCHAR'}, strict_mode = false)`,
            );
            await db.run(
              `CREATE TEMP TABLE jsonl_lines AS
               SELECT *, CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END AS ok
               FROM (${lines.join(' UNION ALL ')}) WHERE trim(line) <> ''`,
            );
            // Guarded per row: DuckDB may evaluate a projection before the filter that drops bad lines.
            const fields = source.columns.map((c) => `CASE WHEN ok THEN json_extract_string(line, ${sqlString(`$.${c}`)}) END AS ${sqlIdent(c)}`).join(', ');
            await db.run(`CREATE TEMP VIEW raw AS SELECT source_file, record_no, ${fields} FROM jsonl_lines WHERE ok`);
            await db.run(`INSERT INTO malformed SELECT source_file, record_no, 'malformed JSON line: not a JSON object', line FROM jsonl_lines WHERE NOT ok`);
            return info;
          },
        };
      }
      case 'parquet': {
        for (const file of files) {
          const have = new Set((await db.query<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}, hive_partitioning = false)`)).map((r) => r.column_name));
          const missing = source.columns.filter((c) => !have.has(c));
          if (missing.length > 0) {
            throw classifiedFailure('data', {
              step,
              message: `${path.basename(file)} has no column ${missing.join(', ')} (declared: ${source.columns.join(', ')}; the file has ${[...have].join(', ')})`,
            });
          }
        }
        const cast = source.columns.map((c) => `${sqlIdent(c)}::VARCHAR AS ${sqlIdent(c)}`).join(', ');
        const scans = files.map((file) => scan(file, `(SELECT ${cast} FROM read_parquet(${sqlString(file)}, hive_partitioning = false))`));
        await db.run(`CREATE TEMP VIEW raw AS ${scans.join(' UNION ALL ')}`);
        return info;
      }
    }
  },
};

/** One row per input line that could not be parsed: it goes to the reject bin (stage `parse`). */
export const MALFORMED_TABLE = 'CREATE TEMP TABLE malformed (source_file VARCHAR, line BIGINT, error VARCHAR, csv_line VARCHAR)';
