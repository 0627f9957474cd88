/**
 * SeaweedFS (Apache-2.0), the S3-compatible server the tests run the lake against, built from its Go
 * module into `.tools/` the first time (about 10 minutes of CPU on 2 cores, a ~230 MB binary).
 *
 * Its go.mod has a `replace`, so `go install …@version` refuses it: the module is fetched from the Go
 * module proxy (`go mod download -json`), copied to a writable folder, and built there with
 * `go build ./weed`. Nothing is downloaded at run time.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { quietNodeVersionWarning } from '../../lake/s3-store';
import { goUnusable, goVersion, runGo, TOOLS_DIR, type Progress } from './go-build';
import { freePort } from './ports';
import { spawnService, type ServiceProcess } from './service-process';
import { Unavailable } from '../../common/errors';

export const SEAWEEDFS_MODULE = 'github.com/seaweedfs/seaweedfs';
/** A pseudo-version of the module (its `weed` reports 4.53). */
export const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';

const DIR = path.join(TOOLS_DIR, `seaweedfs-${SEAWEEDFS_VERSION}`);
const BINARY = path.join(DIR, 'weed');

export class SeaweedFSUnavailable extends Unavailable {
  override name = 'SeaweedFSUnavailable';
}

function answers(binary: string): boolean {
  if (!fs.existsSync(binary)) return false;
  const result = spawnSync(binary, ['version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 && /version/i.test(`${result.stdout}${result.stderr}`);
}

/** The `weed` binary when it is built already (nothing is built). */
export function findSeaweedFS(): string | undefined {
  return answers(BINARY) ? BINARY : undefined;
}

/** Find `weed`, building it with Go first if needed (progress lines while it builds). */
export async function ensureSeaweedFS(progress: Progress): Promise<string> {
  if (answers(BINARY)) return BINARY;
  const unusable = goUnusable();
  if (unusable) throw new SeaweedFSUnavailable(`cannot build SeaweedFS: ${unusable}`);
  progress(`Building SeaweedFS (${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}) with Go ${goVersion()!.join('.')} into ${path.relative(process.cwd(), DIR)}/ (first time only; about 10 minutes)...`);
  const downloaded = spawnSync('go', ['mod', 'download', '-json', `${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  let moduleDir: string | undefined;
  try {
    moduleDir = (JSON.parse(downloaded.stdout) as { Dir?: string; Error?: string }).Dir;
  } catch {
    moduleDir = undefined;
  }
  if (downloaded.status !== 0 || !moduleDir) {
    throw new SeaweedFSUnavailable(`cannot fetch ${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION} from the Go module proxy: ${(downloaded.stdout + downloaded.stderr).trim().split('\n').slice(-3).join(' ')}`);
  }
  // The module cache is read-only; the build needs a writable copy of the module's folder.
  const source = path.join(TOOLS_DIR, `seaweedfs-src-${process.pid}`);
  fs.rmSync(source, { recursive: true, force: true });
  fs.cpSync(moduleDir, source, { recursive: true });
  makeWritable(source);
  try {
    fs.mkdirSync(DIR, { recursive: true });
    const built = await runGo(['build', '-v', '-o', `${BINARY}.part`, './weed'], { cwd: source }, progress);
    if (!built.ok) {
      progress(`  go build failed:\n${built.output.split('\n').slice(-15).join('\n')}`);
      throw new SeaweedFSUnavailable('cannot build SeaweedFS: go build failed (its output is above)');
    }
    fs.renameSync(`${BINARY}.part`, BINARY);
  } finally {
    fs.rmSync(source, { recursive: true, force: true });
  }
  if (!answers(BINARY)) throw new SeaweedFSUnavailable(`SeaweedFS was built but ${BINARY} does not answer \`weed version\``);
  return BINARY;
}

function makeWritable(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    fs.chmodSync(full, entry.isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(dir, 0o755);
}

export interface SeaweedFSServer {
  /** The S3 endpoint, `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** The credentials it accepts, and the environment a client (the AWS SDK) needs to reach it. */
  accessKeyId: string;
  secretAccessKey: string;
  env: Record<string, string>;
  process: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * Start SeaweedFS's all-in-one server (`weed mini`) on loopback, serving S3 with the given buckets
 * and one set of credentials, its data under `dir`: telemetry, the admin UI and WebDAV off. Resolves
 * once S3 answers for every bucket.
 */
export async function startSeaweedFS(options: {
  weed: string;
  dir: string;
  buckets: string[];
  log?: (line: string) => void;
  /** To start it again where it was (same data dir, port and secret): what a client already holds keeps working. */
  s3Port?: number;
  secretAccessKey?: string;
  /** Where its process ID is kept while it runs (so a supervisor killed meanwhile can stop it next time). */
  pidFile?: string;
}): Promise<SeaweedFSServer> {
  const [s3, s3Grpc, master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, admin, adminGrpc] = [
    options.s3Port ?? (await freePort()),
    ...(await Promise.all(Array.from({ length: 9 }, () => freePort()))),
  ];
  fs.mkdirSync(options.dir, { recursive: true });
  const accessKeyId = 'conveyor';
  const secretAccessKey = options.secretAccessKey ?? `secret-${randomUUID()}`;
  const args = [
    // Its logs in its own folder (by default glog writes weed.* files into /tmp, and leaves them there).
    `-logdir=${options.dir}`,
    'mini',
    `-dir=${options.dir}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3Grpc}`,
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-admin.port=${admin}`,
    `-admin.port.grpc=${adminGrpc}`,
    '-admin.port.legacy=0',
    '-admin.ui=false',
    '-webdav=false',
    '-master.telemetry=false',
    `-bucket=${options.buckets.join(',')}`,
  ];
  const proc = spawnService('seaweedfs', options.weed, args, {
    env: { ...process.env, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey },
    log: options.log,
    logFile: path.join(options.dir, 'weed.log'),
    ...(options.pidFile ? { pidFile: options.pidFile } : {}),
  });
  const endpoint = `http://127.0.0.1:${s3}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    CONVEYOR_S3_FORCE_PATH_STYLE: 'true',
  };
  quietNodeVersionWarning();
  const client = new S3Client({ endpoint, region: env.AWS_REGION, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (const bucket of options.buckets) {
      for (;;) {
        if (!proc.running()) throw new Error(`SeaweedFS exited while starting:\n${proc.outputTail(20)}`);
        try {
          await client.send(new HeadBucketCommand({ Bucket: bucket }));
          break;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`SeaweedFS did not serve bucket ${bucket} within 60 s (${(err as Error).name}):\n${proc.outputTail(20)}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    }
  } catch (err) {
    await proc.stop(2000);
    throw err;
  } finally {
    client.destroy();
  }
  return { endpoint, accessKeyId, secretAccessKey, env, process: proc, stop: () => proc.stop(5000) };
}
