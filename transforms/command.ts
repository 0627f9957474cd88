/**
 * The `command` transform: any executable (a script in any language, `spark-submit`, a binary) run as
 * a process of its own, in a process group of its own, told where its inputs are and where to write
 * its output in environment variables (docs/transforms.md). It heartbeats while the process runs; a
 * cancelled or timed-out step kills the whole group (SIGTERM, then SIGKILL). Its exit code is its
 * failure class: 75 (EX_TEMPFAIL) transient, 65 (EX_DATAERR) data, anything else code; the last
 * lines of its stderr are the failure's message.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { classifiedFailure, type FailureClass } from '../common/failure-classes';
import { sqlString } from '../common/sql';
import { partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import type { CommandTransform } from '../definitions/transform-schema';
import { TRANSFORM_REJECTS_TABLE } from './output';
import { inputsOf } from './inputs';
import { runProgram, type Exited } from './process';
import type { TransformCall, TransformModule } from './transform';

/** BSD's sysexits: what a command's exit code says of its failure. */
const EX_DATAERR = 65;
const EX_TEMPFAIL = 75;

export const commandTransform: TransformModule<CommandTransform> = {
  runsInProcess: false,

  async run(call) {
    const format = call.transform.output;
    const output = path.join(call.stagingDir, `output.${call.fileTag}.${format}`);
    const rejects = path.join(call.stagingDir, `rejects-of-command.${call.fileTag}.${format}`);
    const program = programOf(call);
    const env = { ...process.env, ...call.transform.env, ...conveyorEnv(call, output, rejects) };
    const exited = await runProgram(program, call.transform.command.slice(1), { env, cwd: call.stagingDir, heartbeat: call.heartbeat, signal: call.signal });
    const failureClass = failureClassOf(exited);
    if (failureClass) {
      const how = exited.code === null ? `was killed (${exited.signal})` : `exited ${exited.code}`;
      throw classifiedFailure(failureClass, { step: 'transform', message: `${call.transform.command.join(' ')} ${how}${exited.tail ? `: ${exited.tail}` : ''}` });
    }
    if (!fs.existsSync(output)) {
      throw classifiedFailure('code', { step: 'transform', message: `${call.transform.command.join(' ')} exited 0 but wrote no output at CONVEYOR_OUTPUT (${path.basename(output)})` });
    }
    const { db } = call;
    await db.run(`CREATE TEMP TABLE validated AS SELECT * FROM ${readerOf(format, output)}`);
    await db.run('CREATE TEMP TABLE malformed (source_file VARCHAR, line BIGINT, error VARCHAR, csv_line VARCHAR)');
    await db.run(TRANSFORM_REJECTS_TABLE);
    if (fs.existsSync(rejects)) await db.run(`INSERT INTO transform_rejects BY NAME SELECT * FROM ${readerOf(format, rejects)}`);
    return { rejectRecord: 'validated', rawColumns: [], rowsPerFile: 'validated' };
  },

  async engine(call) {
    const program = programOf(call);
    const print = fs.existsSync(program) ? fingerprint(program) : undefined;
    return `command ${call.transform.command[0]}${print ? ` (sha256 ${print})` : ''}`;
  },
};

/** DuckDB's reader of what the command wrote: CSV and JSON lines as text (the declared types are cast after). */
function readerOf(format: CommandTransform['output'], file: string): string {
  // Not Hive partitioning: the staging path's `partition_key=…` folder is not a column of the output.
  if (format === 'parquet') return `read_parquet(${sqlString(file)}, hive_partitioning = false)`;
  if (format === 'csv') return `read_csv(${sqlString(file)}, header = true, all_varchar = true, hive_partitioning = false)`;
  return `read_json(${sqlString(file)}, format = 'newline_delimited', hive_partitioning = false)`;
}

/** The program to run: a relative path is from the pipeline's folder; a bare name is looked up on PATH. */
function programOf(call: TransformCall<CommandTransform>): string {
  const program = call.transform.command[0]!;
  if (!program.includes('/') || path.isAbsolute(program)) return program;
  const folder = call.deps.registry.folderOf(call.pipeline.name);
  return folder ? path.resolve(folder, program) : path.resolve(program);
}

/** What the command is told: its partition, its inputs (JSON: view name → files), where to write, the table's columns. */
function conveyorEnv(call: TransformCall<CommandTransform>, output: string, rejects: string): Record<string, string> {
  const { pipeline, partition } = call;
  const scheme = partitionSchemeOf(pipeline);
  const window = scheme.isTime ? scheme.windowOf(partition) : undefined;
  return {
    CONVEYOR_PIPELINE: pipeline.name,
    CONVEYOR_PARTITION: partition,
    CONVEYOR_RUN_ID: call.runId,
    ...(window ? { CONVEYOR_PARTITION_START: new Date(window.startMs).toISOString(), CONVEYOR_PARTITION_END: new Date(window.endMs).toISOString() } : {}),
    CONVEYOR_INPUTS: JSON.stringify(inputsOf(pipeline, call.files)),
    CONVEYOR_INPUT_FORMAT: pipeline.source.kind === 'files' ? pipeline.source.format : pipeline.source.kind === 'function' ? 'jsonl' : 'parquet',
    CONVEYOR_OUTPUT: output,
    CONVEYOR_OUTPUT_FORMAT: call.transform.output,
    CONVEYOR_REJECTS: rejects,
    CONVEYOR_COLUMNS: JSON.stringify(pipeline.table.columns),
  };
}

/** Its failure class by its exit code (BSD's sysexits), or undefined when it succeeded. */
function failureClassOf({ code }: Exited): FailureClass | undefined {
  if (code === 0) return undefined;
  // Killed by a signal Conveyor did not send (the machine's OOM killer, an operator): try again.
  if (code === null) return 'transient';
  return code === EX_TEMPFAIL ? 'transient' : code === EX_DATAERR ? 'data' : 'code';
}

/** A short fingerprint of a file (a script's SHA-256), for evidence of which version ran. */
function fingerprint(file: string): string | undefined {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12);
  } catch {
    return undefined;
  }
}
