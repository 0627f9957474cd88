/**
 * The processes `npm run bench` starts besides the server: its worker processes (bench/worker.ts) and
 * the bare pipeline (bench/bare-pipeline.ts), with the worker's Node flags. Whatever ends the bench —
 * an error, Ctrl-C — none of them outlives it.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../platform/config';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../workers/node-flags';

/** Processes the bench started (server, workers); on the normal path they are already stopped at exit. */
const startedPids = new Set<number>();

/** Kill what the bench started when it exits, however it exits; Ctrl-C and SIGTERM exit with 130. */
export function killStartedOnExit(): void {
  process.once('exit', () => {
    for (const pid of startedPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}

/** A process the bench started, killed at exit if it still runs. */
export function trackPid(pid: number | undefined): void {
  if (pid !== undefined) startedPids.add(pid);
}

/** Starts bench/worker.ts in `role`; resolves once its workers poll. Its output goes to `logFile`. */
export async function startWorkerProcess(role: 'conveyor' | 'ceiling', env: NodeJS.ProcessEnv, logFile: string, profileDir?: string): Promise<ChildProcess> {
  const log = fs.openSync(logFile, 'a');
  const child = fork(path.join(PROJECT_ROOT, 'bench', 'worker.ts'), [role], {
    execArgv: [...WORKER_NODE_FLAGS, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, role)}`] : [])],
    env: { ...env, ...WORKER_ENV },
    stdio: ['ignore', log, log, 'ipc'],
  });
  trackPid(child.pid);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the ${role} bench worker exited with code ${code} while starting (see ${logFile})`)));
  });
  child.removeAllListeners('exit');
  return child;
}

export async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  if (child.pid !== undefined) startedPids.delete(child.pid);
}

export interface BarePipelineRun {
  seconds: number;
  rows: number;
  cpuMs: number;
}

/** Run bench/bare-pipeline.ts in a process of its own, with the worker's flags; its figures. */
export function runBarePipeline(env: NodeJS.ProcessEnv, args: { landingDir: string; lakeDir: string; partitions: string[]; concurrency: number }): BarePipelineRun {
  const run = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, path.join(PROJECT_ROOT, 'bench', 'bare-pipeline.ts'), JSON.stringify(args)], {
    env: { ...env, ...WORKER_ENV },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (run.status !== 0) throw new Error(`the bare pipeline failed: ${run.error?.message ?? run.stderr.trim()}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as BarePipelineRun;
}

/** Bundle Conveyor's workflows as `npm run worker` runs them, or with `extraArgs` (the ceiling's alone). */
export function bundleWorkflows(env: NodeJS.ProcessEnv, extraArgs: string[] = []): void {
  const bundling = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'build-workflow-bundle.ts'), ...extraArgs], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (bundling.status !== 0) throw new Error('could not bundle the benchmark workflows');
}
