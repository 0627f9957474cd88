/**
 * Running a transform's external program (a command, dbt): in a process group of its own, so a
 * cancelled or timed-out step kills all of it (SIGTERM, then SIGKILL); heartbeating while it runs,
 * so a lost worker is noticed; its output's last lines kept for the failure's reason.
 */
import { spawn } from 'node:child_process';
import { classifiedFailure } from '../common/failure-classes';

/** How long a killed program's group gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 5_000;
const HEARTBEAT_MS = 5_000;
/** Lines of its output kept for the failure's message. */
const TAIL_LINES = 8;

export interface Exited {
  /** Its exit code, or null when a signal it was not sent by Conveyor killed it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of its stderr (or of its stdout, with `tailOf: 'stdout'`), joined by ` | `. */
  tail: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  heartbeat(details?: unknown): void;
  /** Aborted when the step is cancelled or timed out: the group is killed and the run rejects with its reason. */
  signal: AbortSignal;
  /** Which stream's end makes the tail (dbt writes its errors to stdout). */
  tailOf?: 'stderr' | 'stdout';
}

export function runProgram(program: string, args: string[], options: RunOptions): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: options.env, cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let kept = '';
    const keep = (chunk: Buffer) => (kept = (kept + chunk.toString()).slice(-16_384));
    const tailStream = options.tailOf === 'stdout' ? child.stdout : child.stderr;
    tailStream.on('data', keep);
    (options.tailOf === 'stdout' ? child.stderr : child.stdout).resume();
    const beat = setInterval(() => options.heartbeat({ program }), HEARTBEAT_MS);
    const killGroup = (signal: NodeJS.Signals) => child.pid && tryKill(-child.pid, signal);
    const onAbort = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearInterval(beat);
      options.signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      done();
      reject(classifiedFailure('code', { step: 'transform', message: `cannot run ${program}: ${err.message}` }));
    });
    child.on('close', (code, signal) => {
      done();
      // Whatever the program left in its group (a child it started) goes with it.
      killGroup('SIGKILL');
      if (options.signal.aborted) return reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('cancelled'));
      // Without the colour codes of its log lines.
      const lines = kept.replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n').map((l) => l.trim()).filter(Boolean);
      resolve({ code, signal, tail: lines.slice(-TAIL_LINES).join(' | ') });
    });
  });
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
