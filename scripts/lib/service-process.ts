/**
 * A long-running child process this CLI started (a Temporal server, the Web UI server): its output
 * goes to a log function or file, it dies with this process whatever ends it, and `stop()` asks it
 * to stop (SIGTERM) before killing it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface ServiceProcess {
  name: string;
  pid?: number;
  /** Resolves with the exit code (or null after a signal) when the process exits. */
  exited: Promise<number | null>;
  running(): boolean;
  /** Send a signal (tests kill servers with SIGKILL); resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The end of its output, for an error message. */
  outputTail(lines?: number): string;
}

export interface ServiceOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Each output line, as it comes. */
  log?: (line: string) => void;
  /** Append the output to this file as well. */
  logFile?: string;
  /**
   * Write the process ID here while it runs, so a later run can stop it if this process is killed
   * (SIGKILL) without stopping it: see {@link stopLeftover}.
   */
  pidFile?: string;
}

/** The command line of a running process (empty when it is gone or a zombie). */
function commandLine(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already, or not ours to signal
  }
}

/**
 * Stop a service a killed earlier run left behind: the process in `pidFile`, if it still runs
 * `command` (a reused PID running something else is left alone). True when one was stopped.
 */
export async function stopLeftover(pidFile: string, command: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  fs.rmSync(pidFile, { force: true });
  const alive = () => commandLine(pid)[0] === command;
  if (!Number.isInteger(pid) || pid <= 1 || !alive()) return false;
  signal(pid, 'SIGTERM');
  for (let waited = 0; alive() && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  if (alive()) signal(pid, 'SIGKILL');
  return true;
}

/**
 * Claim `pidFile` for this process, so two supervisors never manage the same state: undefined when
 * claimed (released when this process exits), or the PID of a live process that holds it and whose
 * command line mentions `marker`.
 */
export function claimPidFile(pidFile: string, marker: string): number | undefined {
  try {
    const holder = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (holder !== process.pid && commandLine(holder).some((arg) => arg.includes(marker))) return holder;
  } catch {
    // nobody holds it
  }
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  process.once('exit', () => {
    try {
      if (fs.readFileSync(pidFile, 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile, { force: true });
    } catch {
      // already gone
    }
  });
  return undefined;
}

export function spawnService(name: string, command: string, args: string[], options: ServiceOptions = {}): ServiceProcess {
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let failedToStart = false;
  let tail: string[] = [];
  const running = () => !failedToStart && child.exitCode === null && child.signalCode === null;
  // On the normal path the service is stopped before this process exits and this does nothing.
  const killOnExit = () => {
    if (running()) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  if (options.pidFile && child.pid !== undefined) fs.writeFileSync(options.pidFile, `${child.pid}\n`);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      process.removeListener('exit', killOnExit);
      if (options.pidFile) fs.rmSync(options.pidFile, { force: true });
      resolve(code);
    });
    child.on('error', (err) => {
      failedToStart = true;
      tail = [...tail, `cannot run ${command}: ${err.message}`];
      resolve(null);
    });
  });
  const file = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const forward = (chunk: Buffer) => {
    file?.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail = [...tail.slice(-49), line];
      options.log?.(line);
    }
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  void exited.then(() => file?.end());
  const kill = async (signal: NodeJS.Signals) => {
    if (running()) child.kill(signal);
    await exited;
  };
  return {
    name,
    pid: child.pid,
    exited,
    running,
    kill,
    async stop(graceMs = 10_000) {
      if (!running()) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await kill('SIGTERM');
      clearTimeout(timer);
    },
    outputTail: (lines = 10) => tail.slice(-lines).join('\n'),
  };
}
