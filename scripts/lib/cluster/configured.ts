/**
 * The production shape on this machine as the configuration says (`conveyor cluster`): the full
 * Temporal server on PostgreSQL (CONVEYOR_POSTGRES_URL, or a private cluster under the data dir) with
 * its Web UI, its HTTP API on TEMPORAL_HTTP_URL's port, and with `lake: 's3'` an S3 server for the
 * lake and landing zone. Refuses to start beside another cluster of the same data dir or a server
 * already answering on TEMPORAL_ADDRESS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { localHttpApiPort, localWebUiPort, type ConveyorConfig } from '../../../platform/config';
import { isServerUp, temporalTarget } from '../../../platform/temporal';
import { claimPidFile } from '../service-process';
import { startClusterS3, type ClusterS3 } from './s3';
import { ClusterStartFailed, startCluster, stopLeftovers, type RunningCluster } from './stack';
import { ensureClusterTools } from './tools';

export interface ConfiguredCluster {
  cluster: RunningCluster;
  s3?: ClusterS3;
  stateDir: string;
  /** The Temporal server release, e.g. v1.29.1. */
  release: string;
  /** Stop the S3 server, the Temporal server, the Web UI and a private PostgreSQL. */
  stop(): Promise<void>;
}

type ClusterConfig = Pick<ConveyorConfig, 'dataDir' | 'postgres' | 'temporalAddress' | 'temporalSecurity' | 'webUiUrl' | 'httpApiUrl' | 'namespace'>;

export async function startConfiguredCluster(config: ClusterConfig, options: { lake: 'folder' | 's3'; progress: (line: string) => void }): Promise<ConfiguredCluster> {
  const { progress } = options;
  const httpPort = localHttpApiPort(config);
  const tools = await ensureClusterTools(progress);
  const stateDir = path.join(config.dataDir, 'cluster');
  fs.mkdirSync(stateDir, { recursive: true });
  const holder = claimPidFile(path.join(stateDir, 'npm-run-cluster.pid'), 'cluster');
  if (holder !== undefined) throw new ClusterStartFailed(`conveyor cluster already runs for ${config.dataDir} (pid ${holder}): stop it first, or use another CONVEYOR_DATA_DIR`);
  await stopLeftovers(stateDir, tools, progress);
  if (await isServerUp(temporalTarget(config))) {
    throw new ClusterStartFailed(`a Temporal server already answers at ${config.temporalAddress} (\`conveyor server\` or \`conveyor start\`?): stop it, or set TEMPORAL_ADDRESS to another host:port`);
  }
  const cluster = await startCluster({
    tools,
    stateDir,
    postgres: config.postgres,
    address: config.temporalAddress,
    internalPorts: 'default',
    httpPort,
    uiPort: localWebUiPort(config),
    namespace: config.namespace,
    progress,
  });
  let s3: ClusterS3 | undefined;
  try {
    if (options.lake === 's3') s3 = await startClusterS3(stateDir, progress);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  const release = path.basename(path.dirname(tools.server)).replace('temporal-server-', '');
  const stop = async () => {
    await s3?.server.stop();
    await cluster.stop();
  };
  return { cluster, s3, stateDir, release, stop };
}
