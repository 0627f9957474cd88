/**
 * The `python` transform. Its function runs on Conveyor's Python worker (python/, the Temporal Python
 * SDK, on a task queue of its own), as a step the workflow schedules there before transform: it reads
 * the run's snapshot from the lake and writes its rows (and rejects) as Parquet into the run's staging
 * folder. Transform then finishes here as for every kind: the rows are read, checked, de-duplicated
 * and staged for publish.
 */
import { spawnSync } from 'node:child_process';
import { classifiedFailure, type FailureClass } from '../common/failure-classes';
import { inputsByView } from '../common/inputs';
import type { PythonStep, PythonTransformResult } from '../common/run-types';
import { partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import { viewNameOf } from '../definitions/source-schema';
import { pythonEnvBin } from '../platform/python-env';
import { sqlString } from '../common/sql';
import type { PythonTransform } from '../definitions/transform-schema';
import { loadConfig } from '../platform/config';
import { TRANSFORM_REJECTS_TABLE } from './output';
import { pythonUnsupported } from './python-worker';
import type { TransformCall, TransformModule } from './transform';

export const pythonTransform: TransformModule<PythonTransform> = {
  runsInProcess: false,

  // The function runs on the Python worker, not here: what this worker checks is that the lake and
  // payloads are ones the Python worker can read.
  unavailable() {
    return pythonUnsupported(loadConfig());
  },

  async run(call) {
    const { produced, db, deps } = call;
    if (!produced) throw classifiedFailure('code', { step: 'transform', message: `${call.pipeline.name}: its Python step made nothing to transform` });
    const local = async (file: string) => {
      const resolved = deps.lake.resolveWithin(deps.lake.root, file);
      await deps.lake.area.fetch(resolved, { immutable: true });
      return resolved;
    };
    await db.run(`CREATE TEMP TABLE validated AS SELECT * FROM read_parquet(${sqlString(await local(produced.output))}, hive_partitioning = false)`);
    await db.run('CREATE TEMP TABLE malformed (source_file VARCHAR, line BIGINT, error VARCHAR, csv_line VARCHAR)');
    await db.run(TRANSFORM_REJECTS_TABLE);
    if (produced.rejects) {
      await db.run(`INSERT INTO transform_rejects BY NAME SELECT * FROM read_parquet(${sqlString(await local(produced.rejects))}, hive_partitioning = false)`);
    }
    return { rejectRecord: 'validated', rawColumns: [], rowsPerFile: 'validated' };
  },

  async engine(call: TransformCall<PythonTransform>) {
    return call.produced?.engine ?? 'python';
  },
};

/** What a `python` transform's function is told besides its inputs: where it is, what it reads, its window. */
export function pythonCallOf(pipeline: PipelineDefinition, transform: PythonTransform, partition: string, folder: string): Omit<PythonStep, 'taskQueue' | 'stagingDir'> {
  const scheme = partitionSchemeOf(pipeline);
  const window = scheme.isTime ? scheme.windowOf(partition) : undefined;
  const source = pipeline.source;
  return {
    folder,
    function: transform.function,
    views: source.kind === 'upstream' ? source.inputs.map(viewNameOf) : null,
    inputFormat: source.kind === 'files' ? source.format : source.kind === 'function' ? 'jsonl' : 'parquet',
    window: window ? { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString() } : null,
  };
}

/**
 * Run a `python` transform's function here, in the project's Python environment, without a server (a
 * pipeline's own test, `checkPipelineSample`): its rows written under the lake root given.
 */
export async function runPythonLocally(
  pipeline: PipelineDefinition,
  partition: string,
  options: { folder: string; files: string[]; lakeDir: string },
): Promise<PythonTransformResult> {
  if (pipeline.transform.kind !== 'python') throw new Error(`${pipeline.name} does not transform with python`);
  const call = pythonCallOf(pipeline, pipeline.transform, partition, options.folder);
  const request = {
    pipeline: pipeline.name, partition, run_id: 'check', folder: call.folder, function: call.function,
    inputs: inputsByView(call.views, options.files), input_format: call.inputFormat, start: call.window?.start ?? null, end: call.window?.end ?? null,
    lake_dir: options.lakeDir, output: 'python-output.check.parquet', rejects: 'python-rejects.check.parquet',
  };
  const done = spawnSync(pythonEnvBin('python'), ['-m', 'conveyor_worker.local'], { input: JSON.stringify(request), encoding: 'utf8' });
  if (done.status !== 0 || done.error) {
    throw classifiedFailure('code', { step: 'transform', message: `the Python function ${call.function} of ${pipeline.name} could not run here (${done.error?.message ?? done.stderr.trim().split('\n').pop()}): run npm run python-env` });
  }
  const outcome = JSON.parse(done.stdout) as { rows: number; rejects: number; engine: string } | { failureClass: FailureClass; message: string };
  if ('failureClass' in outcome) throw classifiedFailure(outcome.failureClass, { step: 'transform', message: outcome.message });
  return { output: request.output, rejects: outcome.rejects ? request.rejects : null, rows: outcome.rows, engine: outcome.engine };
}
