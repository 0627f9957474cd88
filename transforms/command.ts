/**
 * The `command` transform: any executable (a script in any language, `spark-submit`, a binary) run as
 * a process of its own, in a process group of its own, told where its inputs are and where to write
 * its output in environment variables (docs/transforms.md). It heartbeats while the process runs; a
 * cancelled or timed-out step kills the whole group (SIGTERM, then SIGKILL). Its exit code is its
 * failure class: 75 (EX_TEMPFAIL) transient, 65 (EX_DATAERR) data, anything else code; the last
 * lines of its stderr are the failure's message.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { classifiedFailure, type FailureClass } from '../common/failure-classes';
import { sqlString } from '../common/sql';
import { partitionSchemeOf, type PipelineDefinition } from '../definitions/definition';
import { viewNameOf } from '../definitions/source-schema';
import type { CommandTransform } from '../definitions/transform-schema';
import { TRANSFORM_REJECTS_TABLE } from './output';
import type { TransformCall, TransformModule } from './transform';

/** BSD's sysexits: what a command's exit code says of its failure. */
const EX_DATAERR = 65;
const EX_TEMPFAIL = 75;
/** Lines of its stderr kept for the failure's message. */
const TAIL_LINES = 8;
/** How long a killed command's group gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 5_000;
const HEARTBEAT_MS = 5_000;

export const commandTransform: TransformModule<CommandTransform> = {
  runsInProcess: false,

  async run(call) {
    const format = call.transform.output;
    const output = path.join(call.stagingDir, `output.${call.fileTag}.${format}`);
    const rejects = path.join(call.stagingDir, `rejects-of-command.${call.fileTag}.${format}`);
    const program = programOf(call);
    const env = { ...process.env, ...call.transform.env, ...conveyorEnv(call, output, rejects) };
    const ended = await runGroup(program, call.transform.command.slice(1), env, call);
    if (ended.failureClass) {
      throw classifiedFailure(ended.failureClass, { step: 'transform', message: `${call.transform.command.join(' ')} ${ended.how}${ended.tail ? `: ${ended.tail}` : ''}` });
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

/** The snapshot's files by the name the pipeline's SQL would give them: `raw`, or each upstream input's view. */
function inputsOf(pipeline: PipelineDefinition, files: string[]): Record<string, string[]> {
  if (pipeline.source.kind !== 'upstream') return { raw: files };
  return Object.fromEntries(pipeline.source.inputs.map((input) => [viewNameOf(input), files.filter((f) => path.basename(path.dirname(f)) === viewNameOf(input))]));
}

interface Ended {
  /** Undefined when it succeeded. */
  failureClass?: FailureClass;
  how: string;
  tail: string;
}

/** Run it in a process group of its own, heartbeating; kill the group when the step is cancelled. */
function runGroup(program: string, args: string[], env: NodeJS.ProcessEnv, call: TransformCall<CommandTransform>): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, cwd: call.stagingDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-16_384)));
    child.stdout.resume();
    const beat = setInterval(() => call.heartbeat({ command: program }), HEARTBEAT_MS);
    const killGroup = (signal: NodeJS.Signals) => child.pid && tryKill(-child.pid, signal);
    const onAbort = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
    };
    call.signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearInterval(beat);
      call.signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      done();
      reject(classifiedFailure('code', { step: 'transform', message: `cannot run ${program}: ${err.message}` }));
    });
    child.on('close', (code, signal) => {
      done();
      // Whatever the command left in its group (a child it started) goes with it.
      killGroup('SIGKILL');
      if (call.signal.aborted) return reject(call.signal.reason instanceof Error ? call.signal.reason : new Error('cancelled'));
      const tail = stderr.trim().split('\n').slice(-TAIL_LINES).join(' | ');
      resolve(outcomeOf(code, signal, tail));
    });
  });
}

function outcomeOf(code: number | null, signal: NodeJS.Signals | null, tail: string): Ended {
  if (code === 0) return { how: 'exited 0', tail };
  // Killed by a signal it was not sent by Conveyor (the machine's OOM killer, an operator): try again.
  if (code === null) return { failureClass: 'transient', how: `was killed (${signal})`, tail };
  const failureClass: FailureClass = code === EX_TEMPFAIL ? 'transient' : code === EX_DATAERR ? 'data' : 'code';
  return { failureClass, how: `exited ${code}`, tail };
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** A short fingerprint of a file (a script's SHA-256), for evidence of which version ran. */
function fingerprint(file: string): string | undefined {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12);
  } catch {
    return undefined;
  }
}
