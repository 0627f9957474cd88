/**
 * The lake's layout: where every file of a pipeline's partitions lives under the lake root, in one
 * place. Hive layout (`partition_key=<K>` folders), so DuckDB, Polars, pandas or Spark read it as
 * partitioned tables. See docs/lake.md for the format and what a reader may assume.
 *
 *   showroom/<pipeline>/partition_key=<K>/data.parquet            published rows (one atomic file)
 *   quality/rejects/<pipeline>/partition_key=<K>/data.parquet     the reject bin of the partition's latest run
 *   meta/partition_runs/<pipeline>/partition_key=<K>/<run>.json   one manifest per run, never rewritten
 *   meta/overrides/<pipeline>/partition_key=<K>/<at>-<kind>-<id>.json   operators' overrides (audit trail), never rewritten
 *   staging/<pipeline>/partition_key=<K>/run_id=<run>/…           one run's files between steps
 *
 * Every segment is checked here, so no pipeline name, partition key or run id can leave the root.
 */
import path from 'node:path';
import { FolderArea, S3Area, type FileArea } from './area';
import { IDENTIFIER_PATTERN } from '../common/identifiers';
import { ANY_PARTITION_KEY } from '../common/partitions';
import { InputError, Unavailable } from '../common/errors';
const isPartitionKey = (key: string) => ANY_PARTITION_KEY.test(key);

export const DATA_FILE = 'data.parquet';
/** Temporal run ids are UUIDs; anything outside this alphabet never becomes a path. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

export class UnsafeLakePath extends InputError {
  override name = 'UnsafeLakePath';
}

function checked(kind: string, value: string, ok: boolean): string {
  if (!ok) throw new UnsafeLakePath(`invalid ${kind} ${JSON.stringify(value)} for a lake path`);
  return value;
}
const pipelineSegment = (p: string) => checked('pipeline name', p, IDENTIFIER_PATTERN.test(p));
const partitionSegment = (d: string) => `partition_key=${checked('partition key', d, isPartitionKey(d))}`;
const runSegment = (r: string) => checked('run id', r, RUN_ID.test(r));

export function partitionKeyOfDir(name: string): string | undefined {
  const key = name.startsWith('partition_key=') ? name.slice('partition_key='.length) : undefined;
  return key !== undefined && isPartitionKey(key) ? key : undefined;
}

/** Paths of one lake root, and the area (lake/area.ts: a folder, or an S3 bucket cached under root) they are in. */
export class LakeLayout {
  readonly root: string;
  readonly area: FileArea;
  constructor(root: string, area?: FileArea) {
    this.root = path.resolve(root);
    this.area = area ?? new FolderArea(this.root);
  }

  /** `showroom/<pipeline>`: the published table of a pipeline. */
  tableDir(pipeline: string): string {
    return path.join(this.root, 'showroom', pipelineSegment(pipeline));
  }
  publishedFile(pipeline: string, partition: string): string {
    return path.join(this.tableDir(pipeline), partitionSegment(partition), DATA_FILE);
  }

  rejectsDir(pipeline: string): string {
    return path.join(this.root, 'quality', 'rejects', pipelineSegment(pipeline));
  }
  rejectsFile(pipeline: string, partition: string): string {
    return path.join(this.rejectsDir(pipeline), partitionSegment(partition), DATA_FILE);
  }

  manifestsDir(pipeline: string): string {
    return path.join(this.root, 'meta', 'partition_runs', pipelineSegment(pipeline));
  }
  manifestDir(pipeline: string, partition: string): string {
    return path.join(this.manifestsDir(pipeline), partitionSegment(partition));
  }
  manifestFile(pipeline: string, partition: string, runId: string): string {
    return path.join(this.manifestDir(pipeline, partition), `${runSegment(runId)}.json`);
  }

  /** `meta/evidence/<pipeline>/partition_key=<K>/`: what a run's tool left as evidence (dbt's run_results.json), by run. */
  evidenceDir(pipeline: string, partition: string): string {
    return path.join(this.root, 'meta', 'evidence', pipelineSegment(pipeline), partitionSegment(partition));
  }

  /** `meta/overrides/<pipeline>/partition_key=<K>/`: operators' overrides of a partition (the audit trail). */
  overridesDir(pipeline: string, partition: string): string {
    return path.join(this.root, 'meta', 'overrides', pipelineSegment(pipeline), partitionSegment(partition));
  }

  /** The monitor's open alerts of a pipeline (one JSON file, replaced atomically on each change). */
  openAlertsFile(pipeline: string): string {
    return path.join(this.root, 'meta', 'alerts', pipelineSegment(pipeline), 'open.json');
  }

  /** `staging/`: every run's files between its steps. */
  stagingDir(): string {
    return path.join(this.root, 'staging');
  }
  /** `staging/<pipeline>/partition_key=<K>`: the runs of one partition that are (or were) in progress. */
  partitionStagingDir(pipeline: string, partition: string): string {
    return path.join(this.stagingDir(), pipelineSegment(pipeline), partitionSegment(partition));
  }
  runStagingDir(pipeline: string, partition: string, runId: string): string {
    return path.join(this.partitionStagingDir(pipeline, partition), `run_id=${runSegment(runId)}`);
  }

  /** Globs a reader uses (DuckDB syntax), from the lake's top. */
  globs() {
    const r = this.root;
    return {
      table: (pipeline: string) => path.join(this.tableDir(pipeline), 'partition_key=*', DATA_FILE),
      rejects: path.join(r, 'quality', 'rejects', '*', 'partition_key=*', DATA_FILE),
      manifests: path.join(r, 'meta', 'partition_runs', '*', 'partition_key=*', '*.json'),
      overrides: path.join(r, 'meta', 'overrides', '*', 'partition_key=*', '*.json'),
    };
  }

  /** A lake path relative to the root (what step results and manifests carry). */
  relative(file: string): string {
    return path.relative(this.root, file);
  }
  /** Resolve a relative path from a step result; refuses anything that leaves `within`. */
  resolveWithin(within: string, relativePath: string): string {
    const resolved = path.resolve(this.root, relativePath);
    if (!resolved.startsWith(within + path.sep)) {
      throw new UnsafeLakePath(`staged file ${JSON.stringify(relativePath)} is not in ${this.relative(within)}`);
    }
    return resolved;
  }
}

export class LakeUnavailable extends Unavailable {
  override name = 'LakeUnavailable';
}

/** The lake a process is configured for: `CONVEYOR_LAKE_URL` (S3, cached under lakeDir) or the folder lakeDir. */
export function lakeOf(config: { lakeDir: string; lakeUrl?: string | undefined }, env: NodeJS.ProcessEnv = process.env): LakeLayout {
  return new LakeLayout(config.lakeDir, config.lakeUrl ? new S3Area(config.lakeUrl, config.lakeDir, env) : undefined);
}

/**
 * Create the lake root if it is missing and prove it writable (a folder), or that its bucket answers
 * and takes writes (S3), and the same of a landing zone in S3, once, before a process takes work: a bad lake is a one-line error naming it,
 * not a failure in every step.
 */
export async function prepareLake(layout: LakeLayout, landing?: FileArea): Promise<void> {
  if (landing instanceof S3Area) {
    await landing.check().catch((err: unknown) => {
      throw new LakeUnavailable(`the landing zone ${landing.url} cannot be used: ${(err as Error).message.split('\n')[0]}`);
    });
  }
  try {
    await layout.area.check();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (layout.area instanceof S3Area) throw new LakeUnavailable(`the lake ${layout.area.url} cannot be used: ${e.message.split('\n')[0]}`);
    throw new LakeUnavailable(`the lake root ${layout.root} is not a writable folder (${e.code ?? e.message}); set CONVEYOR_LAKE_DIR to one`);
  }
}
