/**
 * The `dbt` transform: a model of a dbt project (dbt-core with the dbt-duckdb adapter, installed by
 * `npm run python-env` into `.tools/python`), built with what it refs and tested, over the run's
 * snapshot. Per attempt, in its staging folder: a DuckDB database file whose schema `conveyor` holds a
 * view per input (the project's source `conveyor`), a profile pointing dbt at it, then `dbt build
 * --select +<model>` in a process group of its own (heartbeating; a cancel kills it). The model's rows
 * are read from that file (DuckDB 1.5 on both sides); its tests become the run's checks; dbt's
 * run_results.json is kept in the lake as evidence. A compile or ref error is `code`, a failed dbt test
 * `data`, a database that cannot be opened `transient`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CheckResult } from '../common/run-contract';
import { classifiedFailure, type FailureClass } from '../common/failure-classes';
import { sqlIdent, sqlString } from '../common/sql';
import { partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import type { DbtTransform } from '../definitions/transform-schema';
import { columnsArgument } from '../lake/tables';
import { dbtEnv, dbtExecutable, dbtProfile } from './dbt-tool';
import { inputsOf } from './inputs';
import { TRANSFORM_REJECTS_TABLE } from './output';
import { runProgram } from './process';
import type { TransformCall, TransformModule } from './transform';

/** The database's file name, and the catalog name dbt (and this step) know it by. */
const CATALOG = 'conveyor_dbt';

interface RunResult {
  unique_id: string;
  status: string;
  message: string | null;
  failures: number | null;
  relation_name?: string | null;
}

export const dbtTransform: TransformModule<DbtTransform> = {
  runsInProcess: false,

  unavailable() {
    return dbtExecutable() ? undefined : 'dbt is not installed: run `npm run python-env` (dbt-core and dbt-duckdb into .tools/python), or set CONVEYOR_DBT to a dbt executable';
  },

  async run(call) {
    const work = path.join(call.stagingDir, `dbt.${call.fileTag}`);
    fs.mkdirSync(work, { recursive: true });
    const database = path.join(work, `${CATALOG}.duckdb`);
    await prepareInputs(call, database);
    fs.writeFileSync(path.join(work, 'profiles.yml'), dbtProfile('conveyor', database));
    const results = await build(call, work);
    await keepEvidence(call, work);
    const model = results.find((r) => r.unique_id.split('.')[0] === 'model' && r.unique_id.endsWith(`.${call.transform.model}`));
    if (!model?.relation_name) throw classifiedFailure('code', { step: 'transform', message: `dbt built no model ${call.transform.model} (selector ${selectorOf(call.transform)})` });
    const { db } = call;
    // Attached under the name dbt knows it by: the models' views name their catalog.
    await db.run(`ATTACH ${sqlString(database)} AS ${CATALOG} (READ_ONLY)`);
    await db.run(`CREATE TEMP TABLE validated AS SELECT * FROM ${model.relation_name}`);
    await db.run(`DETACH ${CATALOG}`);
    await db.run('CREATE TEMP TABLE malformed (source_file VARCHAR, line BIGINT, error VARCHAR, csv_line VARCHAR)');
    await db.run(TRANSFORM_REJECTS_TABLE);
    return { rejectRecord: 'validated', rawColumns: [], rowsPerFile: 'validated', checks: testsOf(results) };
  },

  async engine(call) {
    const results = readResults(path.join(call.stagingDir, `dbt.${call.fileTag}`));
    return `dbt-core ${results?.metadata.dbt_version ?? '?'} (dbt-duckdb)`;
  },
};

/** The database dbt builds in, its schema `conveyor` holding one view per input over the run's snapshot. */
async function prepareInputs(call: TransformCall<DbtTransform>, database: string): Promise<void> {
  const { db, pipeline } = call;
  await db.run(`ATTACH ${sqlString(database)} AS ${CATALOG}`);
  await db.run(`CREATE SCHEMA IF NOT EXISTS ${CATALOG}.conveyor`);
  for (const [view, files] of Object.entries(inputsOf(pipeline, call.files))) {
    await db.run(`CREATE OR REPLACE VIEW ${CATALOG}.conveyor.${sqlIdent(view)} AS SELECT * FROM ${readerOf(pipeline, files)}`);
    // refs: 'upstream': `ref('<view>')` reads the upstream partition, where dbt looks for that model.
    if (call.transform.refs === 'upstream') await db.run(`CREATE OR REPLACE VIEW ${CATALOG}.main.${sqlIdent(view)} AS SELECT * FROM ${CATALOG}.conveyor.${sqlIdent(view)}`);
  }
  await db.run(`DETACH ${CATALOG}`);
}

/** How an input reads: landed CSV or JSON lines as text (typed by the models), Parquet as it is. */
function readerOf(pipeline: PipelineDefinition, files: string[]): string {
  const list = `[${files.map(sqlString).join(', ')}]`;
  const source = pipeline.source;
  const format = source.kind === 'files' ? source.format : source.kind === 'function' ? 'jsonl' : 'parquet';
  if (format === 'csv') return `read_csv(${list}, header = true, all_varchar = true, hive_partitioning = false)`;
  if (format === 'jsonl') {
    const columns = source.kind === 'upstream' ? [] : source.columns.map((c) => [c, 'VARCHAR'] as const);
    return `read_json(${list}, format = 'newline_delimited', columns = ${columnsArgument(columns)}, hive_partitioning = false)`;
  }
  return `read_parquet(${list}, hive_partitioning = false)`;
}

/** The model with what it refs (`+model`), or the model alone when its refs are upstream inputs. */
const selectorOf = (transform: DbtTransform) => (transform.refs === 'upstream' ? transform.model : `+${transform.model}`);

/** `dbt build --select +<model>` (or `<model>`); its results, or the failure its exit and output say. */
async function build(call: TransformCall<DbtTransform>, work: string): Promise<RunResult[]> {
  const { transform, pipeline, partition } = call;
  const project = path.resolve(call.deps.registry.folderOf(pipeline.name) ?? '.', transform.project);
  const args = ['build', '--select', selectorOf(transform), '--project-dir', project, '--profiles-dir', work, '--profile', 'conveyor', '--target', 'run'];
  args.push('--target-path', path.join(work, 'target'), '--log-path', path.join(work, 'logs'), '--vars', JSON.stringify({ ...transform.vars, ...varsOf(pipeline, partition, call.runId) }));
  const exited = await runProgram(dbtExecutable() ?? 'dbt', args, { env: dbtEnv(), cwd: project, heartbeat: call.heartbeat, signal: call.signal, tailOf: 'stdout' });
  const results = readResults(work)?.results ?? [];
  const broken = results.find((r) => r.status === 'error' || r.status === 'runtime error');
  if (broken) throw classifiedFailure(classOfDbtMessage(broken.message ?? ''), { step: 'transform', message: `dbt ${nameOf(broken.unique_id)}: ${firstLine(broken.message)}` });
  // Exit 1 with results: tests that failed (their results are the run's checks); anything else is dbt failing before it ran.
  if (exited.code !== 0 && !(exited.code === 1 && results.length > 0)) {
    throw classifiedFailure(classOfDbtMessage(exited.tail), { step: 'transform', message: `dbt build of ${transform.model} exited ${exited.code ?? exited.signal}: ${exited.tail}` });
  }
  return results;
}

/** The partition as the models see it: `var('conveyor_partition')`, and a time partition's window. */
function varsOf(pipeline: PipelineDefinition, partition: string, runId: string): Record<string, string> {
  const scheme = partitionSchemeOf(pipeline);
  const window = scheme.isTime ? scheme.windowOf(partition) : undefined;
  const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  return { conveyor_partition: partition, conveyor_run_id: runId, ...(window ? { conveyor_partition_start: ts(window.startMs), conveyor_partition_end: ts(window.endMs) } : {}) };
}

/** A dbt test's result as a check: `warn` when dbt's own severity made it a warning. */
function testsOf(results: RunResult[]): CheckResult[] {
  return results
    .filter((r) => r.unique_id.startsWith('test.'))
    .map((r) => ({ name: `dbt_${nameOf(r.unique_id)}`, severity: r.status === 'warn' ? 'warn' : 'error', failed_rows: r.status === 'pass' ? 0 : Math.max(1, r.failures ?? 1) }));
}

/** dbt's run_results.json into the lake (meta/evidence/…): the evidence of what it built and tested. */
async function keepEvidence(call: TransformCall<DbtTransform>, work: string): Promise<void> {
  const file = path.join(work, 'target', 'run_results.json');
  if (!fs.existsSync(file)) return;
  // Not beside the run records: every `.json` there is read as one.
  const target = path.join(call.deps.lake.evidenceDir(call.pipeline.name, call.partition), `${call.runId}.${call.fileTag}.dbt-run_results.json`);
  await call.deps.lake.area.writeOnce(target, fs.readFileSync(file, 'utf8'));
}

function readResults(work: string): { metadata: { dbt_version?: string }; results: RunResult[] } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(work, 'target', 'run_results.json'), 'utf8')) as { metadata: { dbt_version?: string }; results: RunResult[] };
  } catch {
    return undefined;
  }
}

/** A database that could not be opened or locked is passing; bad values are the data's; the rest is the project's bug. */
function classOfDbtMessage(message: string): FailureClass {
  if (/IO Error|Could not set lock|could not connect|Connection/i.test(message)) return 'transient';
  if (/Conversion Error|Invalid Input Error|Out of Range Error/.test(message)) return 'data';
  return 'code';
}

const nameOf = (uniqueId: string) => uniqueId.split('.').slice(2).filter((p) => !/^[0-9a-f]{10}$/.test(p)).join('.');
const firstLine = (message: string | null) => (message ?? 'failed').split('\n').map((l) => l.trim()).filter(Boolean).join(' ').slice(0, 500);
