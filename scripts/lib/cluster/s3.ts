/**
 * `npx conveyor cluster --lake s3`: the S3 server beside the Temporal cluster, so the production shape
 * runs with nothing shared on disk: SeaweedFS (built into .tools/ on first use) on loopback, with a
 * bucket for the lake and one for landing, its data and its secret kept under the cluster's state
 * folder (both survive a restart, so the exported variables stay valid).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { S3Area } from '../../../lake/area';
import { ensureSeaweedFS, startSeaweedFS, type SeaweedFSServer } from '../seaweedfs';
import { portIsFree } from '../ports';
import { stopLeftover } from '../service-process';
import { ClusterStartFailed } from './stack';

/** SeaweedFS's usual S3 port: the exported endpoint stays the same from one start to the next. */
export const CLUSTER_S3_PORT = 8333;
export const CLUSTER_LAKE_URL = 's3://lake/conveyor';
export const CLUSTER_LANDING_URL = 's3://landing/drops';

export interface ClusterS3 {
  server: SeaweedFSServer;
  /** What a worker, `npx conveyor generate` and `npx conveyor sql` need, as `NAME=value`. */
  env: Record<string, string>;
  /** The same as `export NAME=value` lines, in a file to `source`. */
  envFile: string;
}

export async function startClusterS3(stateDir: string, progress: (line: string) => void): Promise<ClusterS3> {
  const weed = await ensureSeaweedFS(progress);
  const dir = path.join(stateDir, 'seaweedfs');
  fs.mkdirSync(dir, { recursive: true });
  const secretFile = path.join(dir, 'secret');
  if (!fs.existsSync(secretFile)) fs.writeFileSync(secretFile, `secret-${randomUUID()}`, { mode: 0o600 });
  const pidFile = path.join(stateDir, 'seaweedfs.pid');
  if (await stopLeftover(pidFile, weed)) progress('Stopped the SeaweedFS an earlier npx conveyor cluster left running.');
  if (!(await portIsFree(CLUSTER_S3_PORT))) {
    throw new ClusterStartFailed(`port ${CLUSTER_S3_PORT} (S3) is taken: stop what listens there (another npx conveyor cluster --lake s3?)`);
  }
  progress(`Starting SeaweedFS (S3 on 127.0.0.1:${CLUSTER_S3_PORT}, buckets lake and landing, data in ${path.relative(process.cwd(), dir)}) ...`);
  const server = await startSeaweedFS({ weed, dir, buckets: ['lake', 'landing'], s3Port: CLUSTER_S3_PORT, secretAccessKey: fs.readFileSync(secretFile, 'utf8').trim(), pidFile });
  try {
    const env = { CONVEYOR_LAKE_URL: CLUSTER_LAKE_URL, CONVEYOR_LANDING_URL: CLUSTER_LANDING_URL, ...server.env };
    // As a worker will: both buckets answer and take writes.
    for (const url of [CLUSTER_LAKE_URL, CLUSTER_LANDING_URL]) await new S3Area(url, path.join(dir, 'check-cache'), { ...process.env, ...env }).check();
    const envFile = path.join(stateDir, 's3.env');
    fs.writeFileSync(envFile, Object.entries(env).map(([name, value]) => `export ${name}=${value}\n`).join(''), { mode: 0o600 });
    return { server, env, envFile };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
