/**
 * The fresh Temporal server each `npm run bench` measurement runs on, its state in a temporary folder:
 * the dev server (the same binary and settings as `npm run server`), or `npm run cluster`'s stack.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { startCluster } from '../scripts/lib/cluster/stack';
import { ensureClusterTools, TEMPORAL_SERVER_VERSION } from '../scripts/lib/cluster/tools';
import { startDevServer } from '../scripts/lib/dev-server';
import { freePort } from '../scripts/lib/ports';
import { SEAWEEDFS_VERSION } from '../scripts/lib/seaweedfs';
import { ensureTemporalCli, TEMPORAL_CLI_VERSION } from '../scripts/lib/temporal-cli';
import { say, type ServerKind } from './figures';
import { treeCpuSeconds } from './measure';
import { trackPid } from './processes';

export const SERVER_LABEL: Record<ServerKind, string> = {
  dev: `the dev server (Temporal CLI ${TEMPORAL_CLI_VERSION}, SQLite in WAL mode)`,
  cluster: `npm run cluster's stack (Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL)`,
  s3: `the dev server, with the lake and the landing zone in S3 (SeaweedFS ${SEAWEEDFS_VERSION} on loopback)`,
};

export interface BenchServer {
  address: string;
  pid: number;
  /** CPU seconds of the database server, where it runs as a separate process tree. */
  databaseCpu?: () => number;
  stop(): Promise<void>;
}

/** A fresh server of `kind` with its state in `tmp`: the dev server, or the cluster (private PostgreSQL or CONVEYOR_POSTGRES_URL). */
export async function startBenchServer(kind: ServerKind, tmp: string): Promise<BenchServer> {
  const port = await freePort();
  return kind === 'cluster' ? startClusterServer(tmp, port) : startDev(tmp, port);
}

async function startDev(tmp: string, port: number): Promise<BenchServer> {
  const cli = await ensureTemporalCli({ progress: say, allowSdkDownload: true });
  say(`starting a fresh Temporal dev server on port ${port} (database in ${tmp}) ...`);
  const server = await startDevServer({ cli, dbFile: path.join(tmp, 'temporal.db'), port, uiPort: await freePort(), httpPort: await freePort() });
  trackPid(server.pid);
  return { address: server.address, pid: server.pid ?? Number.NaN, stop: () => server.stop() };
}

async function startClusterServer(tmp: string, port: number): Promise<BenchServer> {
  const tools = await ensureClusterTools(say);
  const postgres = loadConfig().postgres;
  say(`starting a fresh Temporal server on PostgreSQL on port ${port} (state in ${tmp}) ...`);
  // On a shared CONVEYOR_POSTGRES_URL: databases of its own, dropped at the end.
  const name = `conveyor_bench_${randomUUID().slice(0, 8)}`;
  const cluster = await startCluster({
    tools,
    stateDir: tmp,
    postgres,
    ...(postgres ? { databases: { main: name, visibility: `${name}_visibility`, dropOnStop: true } } : {}),
    address: `127.0.0.1:${port}`,
    internalPorts: 'free',
    namespace: 'default',
    progress: (line) => say(`  ${line}`),
  });
  const postmasterPid = postgres ? undefined : Number(fs.readFileSync(path.join(tmp, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (postgres) say('  (CONVEYOR_POSTGRES_URL: the database is elsewhere, so its CPU is not measured)');
  return {
    address: cluster.address,
    pid: cluster.server().pid ?? Number.NaN,
    databaseCpu: postmasterPid ? () => treeCpuSeconds(postmasterPid) : undefined,
    stop: () => cluster.stop(),
  };
}
