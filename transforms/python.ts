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
import type { PythonTransform, PythonWorkerTransform } from '../definitions/transform-schema';
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

  run: (call) => readProduced(call),

  async engine(call: TransformCall<PythonTransform>) {
    return call.produced?.engine ?? 'python';
  },
};

/** What the step on the Python worker made (a `python` function's or a `spark` job's rows and rejects), read for transform to finish. */
export async function readProduced(call: TransformCall<PythonWorkerTransform>): Promise<Awaited<ReturnType<TransformModule<PythonWorkerTransform>['run']>>> {
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
}

/** What a `python` function (or `spark` job) is told besides its inputs: where it is, what it reads, its window, a job's session. */
export function pythonCallOf(pipeline: PipelineDefinition, transform: PythonWorkerTransform, partition: string, folder: string): Omit<PythonStep, 'taskQueue' | 'stagingDir'> {
  const scheme = partitionSchemeOf(pipeline);
  const window = scheme.isTime ? scheme.windowOf(partition) : undefined;
  const source = pipeline.source;
  return {
    folder,
    function: transform.kind === 'spark' ? transform.job : transform.function,
    views: source.kind === 'upstream' ? source.inputs.map(viewNameOf) : null,
    inputFormat: source.kind === 'files' ? source.format : source.kind === 'function' ? 'jsonl' : 'parquet',
    window: window ? { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString() } : null,
    spark: transform.kind === 'spark' ? { master: transform.master ?? null, conf: transform.conf } : null,
  };
}

/**
 * Run a `python` transform's function (or a `spark` job, on a `local[1]` session) here, in the project's
 * Python environment, without a server (a pipeline's own test, `checkPipelineSample`): its rows written
 * under the lake root given.
 */
export async function runPythonLocally(
  pipeline: PipelineDefinition,
  partition: string,
  options: { folder: string; files: string[]; lakeDir: string },
): Promise<PythonTransformResult> {
  const { transform } = pipeline;
  if (transform.kind !== 'python' && transform.kind !== 'spark') throw new Error(`${pipeline.name} does not transform with python or spark`);
  const call = pythonCallOf(pipeline, transform, partition, options.folder);
  const [output, rejects, files] = call.spark ? ['spark-output.check', 'spark-rejects.check', '/*.parquet'] : ['python-output.check.parquet', 'python-rejects.check.parquet', ''];
  const request = {
    pipeline: pipeline.name, partition, run_id: 'check', folder: call.folder, function: call.function,
    inputs: inputsByView(call.views, options.files), input_format: call.inputFormat, start: call.window?.start ?? null, end: call.window?.end ?? null,
    lake_dir: options.lakeDir, output, rejects, spark: call.spark ? { master: 'local[1]', conf: call.spark.conf } : null,
  };
  const done = spawnSync(pythonEnvBin('python'), ['-m', 'conveyor_worker.local'], { input: JSON.stringify(request), encoding: 'utf8' });
  if (done.status !== 0 || done.error) {
    throw classifiedFailure('code', { step: 'transform', message: `the Python function ${call.function} of ${pipeline.name} could not run here (${done.error?.message ?? done.stderr.trim().split('\n').pop()}): run npm run python-env` });
  }
  const outcome = JSON.parse(done.stdout.trim().split('\n').pop()!) as { rows: number; rejects: number; engine: string } | { failureClass: FailureClass; message: string };
  if ('failureClass' in outcome) throw classifiedFailure(outcome.failureClass, { step: 'transform', message: outcome.message });
  return { output: output + files, rejects: outcome.rejects ? rejects + files : null, rows: outcome.rows, engine: outcome.engine };
}
