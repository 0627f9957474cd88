/**
 * Conveyor's Python worker as an operator starts it (`npx conveyor python-worker`, configured by the
 * environment), for end-to-end tests: resolved once it logs that it started, its output kept for
 * failure messages, stopped by `stop()` (SIGTERM, as Ctrl-C) and waited for.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { conveyorArgv } from './cli';
import { within } from './bounds';

export interface PythonWorker {
  log(): string;
  stop(): Promise<void>;
  /** A crash: SIGKILL to the Python worker's own process (not the command in front of it), which then ends too. */
  crash(): Promise<void>;
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try {
      return Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

export async function startPythonWorker(env: NodeJS.ProcessEnv): Promise<PythonWorker> {
  const child = spawn(process.execPath, conveyorArgv('python-worker', []), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await within('the Python worker to start', 60_000, (async () => {
    while (!output.includes('python worker started')) {
      assert.equal(child.exitCode, null, output);
      await new Promise((r) => setTimeout(r, 200));
    }
  })());
  return {
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await within('the Python worker to stop', 60_000, exited);
    },
    async crash() {
      const [worker] = childrenOf(child.pid!);
      assert.ok(worker, 'the Python worker process runs');
      process.kill(worker, 'SIGKILL');
      await within('the command in front of the killed Python worker to end', 30_000, exited);
    },
  };
}
