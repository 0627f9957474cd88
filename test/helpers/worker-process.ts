/**
 * Real worker processes for end-to-end tests: `workers/main.ts --queues <q>`, started as
 * `npx conveyor worker` starts it, with its JSON log lines parsed as they come.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type ConveyorConfig } from '../../platform/config';
import { startTestServer } from './harness';
import { within } from './bounds';
import fs from 'node:fs';
import path from 'node:path';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../workers/node-flags';

const ROOT = path.resolve(__dirname, '..', '..');
type LogLine = Record<string, unknown>;

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the first log line that matches (seen already or still to come). */
  waitForLine(match: (line: LogLine) => boolean): Promise<LogLine>;
  lines(): LogLine[];
}

/** Every worker started, so `after` can kill what a failed test left running. */
export const startedWorkers = new Set<ChildProcess>();

/** Start a worker on `queues`; resolves once it logs "worker started" (it polls then). */
export async function startWorkerProcess(options: { name: string; queues: string; env: NodeJS.ProcessEnv; logDir: string }): Promise<WorkerProcess> {
  const { name, queues, env, logDir } = options;
  const logFile = path.join(logDir, `${name}.log`);
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, path.join(ROOT, 'workers', 'main.ts'), '--queues', queues], {
    cwd: ROOT,
    env: { ...env, ...WORKER_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  startedWorkers.add(child);
  child.on('exit', () => startedWorkers.delete(child));
  const out = fs.createWriteStream(logFile);
  const parsed: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const text of lines) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      parsed.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.pipe(out);
  const waitForLine = (match: (l: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = parsed.find(match);
      if (seen) return resolve(seen);
      waiters.push({ match, resolve });
      child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}); see ${logFile}`)));
    });
  await waitForLine((l) => l.msg === 'worker started');
  return { name, child, logFile, waitForLine, lines: () => parsed };
}

/** Signal a worker (SIGTERM: graceful) and wait until it has exited. */
export async function stopWorkerProcess(w: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((resolve) => w.child.once('exit', resolve));
  w.child.kill(signal);
  await within(`worker ${w.name} exiting on ${signal}`, 90_000, exited);
}

/** How many partitions this worker published (its "publish succeeded" log lines). */
export const publishedBy = (w: WorkerProcess) => w.lines().filter((l) => l.msg === 'publish succeeded').length;

/** A real server and a temporary data dir for real worker processes: what their environment holds. */
export interface WorkerFleet {
  env: TestWorkflowEnvironment;
  dataDir: string;
  /** The environment the workers get: the server's address, the data dir, unique task queues. */
  workerEnv: NodeJS.ProcessEnv;
  config: ConveyorConfig;
  /** Kill what is left running, stop the server, remove the data dir. */
  stop(): Promise<void>;
}

export async function startWorkerFleet(name: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<WorkerFleet> {
  const env = await startTestServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `conveyor-${name}-`));
  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    CONVEYOR_DATA_DIR: dataDir,
    CONVEYOR_TASK_QUEUE: `test-daily-${randomUUID()}`,
    CONVEYOR_BACKFILL_TASK_QUEUE: `test-backfill-${randomUUID()}`,
    ...extraEnv,
  };
  return {
    env,
    dataDir,
    workerEnv,
    config: loadConfig(workerEnv),
    async stop() {
      for (const w of startedWorkers) w.kill('SIGKILL');
      try {
        await within('Temporal server teardown', 20_000, env.teardown());
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
