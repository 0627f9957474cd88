/**
 * The long-running commands as a user runs them in a terminal, from any folder: `conveyor server`
 * serves until Ctrl-C, `conveyor worker` drains on Ctrl-C (the terminal sends it to the command and the
 * worker processes it started alike, the Python worker too when a pipeline needs it), and each exits 0
 * leaving nothing running.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../scripts/lib/ports';
import { within } from './helpers/bounds';
import { conveyorArgv, runCli } from './helpers/cli';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-cli-processes-'));
const started: ChildProcess[] = [];
after(() => {
  for (const child of started) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** `conveyor <command>` in a process group of its own (as a terminal runs it), from a folder outside the checkout. */
function runInTerminal(command: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, conveyorArgv(command), { cwd: os.tmpdir(), env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    /** Resolves once the output matches (or fails with the output so far). */
    async waitFor(pattern: RegExp, ms: number): Promise<void> {
      await within(`conveyor ${command} to print ${pattern}`, ms, (async () => {
        while (!pattern.test(output)) {
          if (child.exitCode !== null) throw new Error(`conveyor ${command} exited (${child.exitCode}):\n${output}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      })());
    },
    /** Ctrl-C in the terminal: SIGINT to the whole process group. */
    interrupt: () => process.kill(-child.pid!, 'SIGINT'),
  };
}

const processesOf = (marker: string) =>
  fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });

describe('long-running commands in a terminal', () => {
  it('conveyor server serves gRPC, the Web UI and the HTTP API, then conveyor worker (alone, then with the Python worker a python transform needs) drains on Ctrl-C; all exit 0 and leave nothing running', { timeout: 240_000 }, async () => {
    const [grpc, ui, http] = [await freePort(), await freePort(), await freePort()];
    const env = { CONVEYOR_DATA_DIR: dataDir, TEMPORAL_ADDRESS: `127.0.0.1:${grpc}`, TEMPORAL_UI_URL: `http://localhost:${ui}`, TEMPORAL_HTTP_URL: `http://localhost:${http}` };
    const server = runInTerminal('server', env);
    await server.waitFor(/Press Ctrl-C to stop\./, 90_000);
    assert.match(server.output(), new RegExp(`HTTP API http://localhost:${http}`));
    const info = (await (await fetch(`http://localhost:${http}/api/v1/system-info`)).json()) as { serverVersion?: string };
    assert.ok(info.serverVersion, 'the HTTP API answers where the configuration says');

    const worker = runInTerminal('worker', env);
    await worker.waitFor(/"msg":"worker started"/, 120_000);
    worker.interrupt();
    assert.equal(await within('the worker to drain', 60_000, worker.exited), 0, worker.output());
    assert.match(worker.output(), /"msg":"worker stopped"/);
    assert.deepEqual(processesOf(`${path.sep}workers${path.sep}main.ts`), [], 'no worker process left');

    // A deployment with a python transform: the Python worker runs beside the worker, and stops with it.
    const pipelinesDir = fs.mkdirSync(path.join(dataDir, 'pipelines'), { recursive: true })!;
    const withPython = { ...env, CONVEYOR_PIPELINES_DIR: pipelinesDir };
    const made = runCli('new-pipeline', ['terminal_visits', '--source', 'csv', '--transform', 'python'], { ...process.env, ...withPython });
    assert.equal(made.status, 0, made.all);
    const both = runInTerminal('worker', withPython);
    await both.waitFor(/"msg":"worker started"/, 120_000);
    await both.waitFor(/"component":"python-worker","msg":"python worker started"/, 60_000);
    both.interrupt();
    assert.equal(await within('the worker and the Python worker to drain', 60_000, both.exited), 0, both.output());
    assert.match(both.output(), /"msg":"python worker stopped"/);
    assert.deepEqual(processesOf('conveyor-python-worker'), [], 'no Python worker process left');

    server.interrupt();
    assert.equal(await within('the server to stop', 30_000, server.exited), 0, server.output());
    assert.deepEqual(processesOf(dataDir), [], 'nothing of the server left');
  });
});
