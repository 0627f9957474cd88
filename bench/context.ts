/**
 * What every section of `npm run bench` measures with, on one server: the server, its two worker
 * processes (Conveyor's and the ceiling's, so each process's CPU and memory are measured apart), a
 * client, and the temporary data dir they share; set up before the sections and torn down after.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { BackfillClientOptions } from '../client/backfills';
import type { PipelineRegistry } from '../definitions/registry';
import type { FileArea } from '../lake/area';
import { landingOf } from '../landing/landing-zone';
import { loadConfig, PROJECT_ROOT, type ConveyorConfig } from '../platform/config';
import { ensureSeaweedFS, startSeaweedFS, type SeaweedFSServer } from '../scripts/lib/seaweedfs';
import { say, type ServerKind } from './figures';
import { PeakRss } from './measure';
import type { BenchOptions } from './options';
import { benchRegistry } from './pipelines';
import { NoopRuns } from './noop';
import { bundleWorkflows, startWorkerProcess, stopWorkerProcess } from './processes';
import { startBenchServer, type BenchServer } from './server';

/** Activity slots of the backfill pool and of the ceiling worker: the same, so the comparison is fair. */
const ACTIVITY_SLOTS = 64;

export interface BenchContext {
  kind: ServerKind;
  options: BenchOptions;
  /** The temporary data dir: the server's state, the lake, the landing zone, the logs. */
  tmp: string;
  logFile: string;
  /** The workers' environment (with the lake in S3, Conveyor's worker has a data dir of its own besides). */
  env: NodeJS.ProcessEnv;
  config: ConveyorConfig;
  landing: FileArea;
  server: BenchServer;
  s3: SeaweedFSServer | undefined;
  /** The worker processes; the isolation section restarts Conveyor's with its default settings. */
  workers: { conveyor: ChildProcess; ceiling: ChildProcess };
  /** Whose CPU a measurement reads: the server, the database (on the cluster), the workers as first started. */
  pids: { server: number; worker: number; ceiling: number };
  database: Record<string, () => number>;
  registry: PipelineRegistry;
  client: Client;
  backfillOptions: BackfillClientOptions;
  workerPeakRss: PeakRss;
  /** The no-op runs (ceiling workflows, no-op backfills) of the sections that measure orchestration. */
  noop: NoopRuns;
}

/** The environment of the bench's workers and tools, on `address`, with its state in `tmp`. */
function benchEnv(address: string, tmp: string): NodeJS.ProcessEnv {
  // The bench runs its own local server in clear: no remote TLS settings or payload codec from the shell.
  const local = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^TEMPORAL_(TLS|API_KEY)|^CONVEYOR_CODEC_KEYS$/.test(k)));
  return {
    ...local,
    TEMPORAL_ADDRESS: address,
    CONVEYOR_DATA_DIR: tmp,
    CONVEYOR_TASK_QUEUE: 'bench-daily',
    CONVEYOR_BACKFILL_TASK_QUEUE: 'bench-backfill',
    CONVEYOR_WORKFLOW_BUNDLE: path.join(tmp, 'bench-bundle.js'),
    CONVEYOR_BACKFILL_ACTIVITY_SLOTS: String(ACTIVITY_SLOTS),
    LOG_LEVEL: 'warn',
  };
}

/** Conveyor's bundle as `npm run worker` runs it, the ceiling's alone (bench/workflows.ts); both workers started. */
async function startWorkers(env: NodeJS.ProcessEnv, tmp: string, logFile: string, s3: boolean, profile: string | undefined) {
  say('bundling workflows ...');
  const ceilingBundle = path.join(tmp, 'ceiling-bundle.js');
  bundleWorkflows(env);
  bundleWorkflows({ ...env, CONVEYOR_WORKFLOW_BUNDLE: ceilingBundle }, ['--workflows', path.join(PROJECT_ROOT, 'bench', 'workflows.ts')]);
  say('starting the worker processes ...');
  // With the lake in S3, the worker has a data folder of its own: it shares nothing with the bench
  // (which generates the landed files) but the buckets, so it downloads what it reads, as in production.
  const workerEnv = s3 ? { ...env, CONVEYOR_DATA_DIR: path.join(tmp, 'worker') } : env;
  const [conveyor, ceiling] = await Promise.all([
    startWorkerProcess('conveyor', workerEnv, logFile, profile),
    startWorkerProcess('ceiling', { ...env, CONVEYOR_WORKFLOW_BUNDLE: ceilingBundle }, logFile, profile),
  ]);
  return { conveyor, ceiling };
}

/** A fresh server of `kind`, its workers and a client, all in a temporary folder. */
export async function openContext(kind: ServerKind, options: BenchOptions): Promise<BenchContext> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `conveyor-bench-${kind}-`));
  fs.chmodSync(tmp, 0o711); // a private PostgreSQL runs as the postgres user when the bench runs as root
  const logFile = path.join(tmp, 'bench.log');
  const server = await startBenchServer(kind, tmp);
  const env = benchEnv(server.address, tmp);
  // The kinds section's pipelines (dbt, Python) only when it runs: they need the Python environment.
  if (options.sections.has('kinds')) env.CONVEYOR_BENCH_KINDS = '1';
  // The S3 variant: a fresh SeaweedFS, its buckets for the lake and the landing zone.
  const s3 = kind === 's3' ? await startSeaweedFS({ weed: await ensureSeaweedFS(say), dir: path.join(tmp, 'seaweedfs'), buckets: ['lake', 'landing'] }) : undefined;
  if (s3) Object.assign(env, s3.env, { CONVEYOR_LAKE_URL: 's3://lake/bench', CONVEYOR_LANDING_URL: 's3://landing/bench' });
  const config = loadConfig(env);
  const landing = landingOf(config, env);
  const workers = await startWorkers(env, tmp, logFile, s3 !== undefined, options.profile);
  const pids = { server: server.pid, worker: workers.conveyor.pid!, ceiling: workers.ceiling.pid! };
  const registry = benchRegistry(options.sections.has('kinds'));
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const database: Record<string, () => number> = server.databaseCpu ? { database: server.databaseCpu } : {};
  const measuring = {
    pids,
    database,
    client,
    backfillOptions: { config, registry, now: () => Date.parse('2026-11-24T00:00:00Z') },
    workerPeakRss: new PeakRss(pids.worker),
  };
  return { kind, options, tmp, logFile, env, config, landing, server, s3, workers, registry, ...measuring, noop: new NoopRuns(measuring) };
}

/** Stop what {@link openContext} started and remove its temporary folder. */
export async function closeContext(ctx: BenchContext): Promise<void> {
  ctx.workerPeakRss.stop();
  await Promise.all([stopWorkerProcess(ctx.workers.conveyor), stopWorkerProcess(ctx.workers.ceiling)]);
  await ctx.client.connection.close();
  await ctx.server.stop();
  await ctx.s3?.stop();
  fs.rmSync(ctx.tmp, { recursive: true, force: true });
}
