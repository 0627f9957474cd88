/**
 * The PostgreSQL that `npx conveyor cluster` runs Temporal on: the server at CONVEYOR_POSTGRES_URL, or a
 * private cluster under the data dir (`initdb` + `pg_ctl` from Debian's `postgresql` package, on
 * loopback, on a free port picked at each start, with a generated password). No system service.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PostgresEndpoint } from '../../../platform/config';
import { freePort } from '../ports';
import { onPath } from '../../../platform/which';
import { Unavailable } from '../../../common/errors';

export class PostgresUnavailable extends Unavailable {
  override name = 'PostgresUnavailable';
}

/** The folder holding initdb, pg_ctl and postgres: beside `initdb` on PATH, else Debian's newest version. */
export function findPostgresBin(): string | undefined {
  const has = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((b) => fs.existsSync(path.join(dir, b)));
  const initdb = onPath('initdb');
  if (initdb) {
    const dir = path.dirname(fs.realpathSync(initdb));
    if (has(dir)) return dir;
  }
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian) ? fs.readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(debian, v, 'bin')).find(has);
}

/** Why a private cluster cannot run here (a one-line hint), or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!findPostgresBin()) {
    return 'PostgreSQL is not installed: install it (Debian: `apt-get install -y postgresql`) or set CONVEYOR_POSTGRES_URL';
  }
  if (process.getuid?.() === 0 && !systemUser('postgres')) {
    return 'running as root, and there is no `postgres` user to run PostgreSQL as (initdb refuses root): create one or set CONVEYOR_POSTGRES_URL';
  }
  return undefined;
}

function systemUser(name: string): { uid: number; gid: number } | undefined {
  const result = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (result.status !== 0 || group.status !== 0) return undefined;
  return { uid: Number(result.stdout.trim()), gid: Number(group.stdout.trim()) };
}

export interface PrivatePostgres {
  endpoint: PostgresEndpoint;
  dataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Start (creating it on first use) the private cluster in `dir`. As root, PostgreSQL runs as the
 * `postgres` user, which then owns `dir`. A cluster left running by a killed `npx conveyor cluster` is
 * stopped and started again. State survives restarts.
 */
export async function startPrivatePostgres(options: { dir: string; log: (line: string) => void }): Promise<PrivatePostgres> {
  const unavailable = privatePostgresUnavailable();
  if (unavailable) throw new PostgresUnavailable(unavailable);
  const bin = findPostgresBin()!;
  const dir = path.resolve(options.dir);
  const dataDir = path.join(dir, 'data');
  const passwordFile = path.join(dir, 'password');
  const logFile = path.join(dir, 'postgres.log');
  const runAs = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (runAs) {
    fs.chownSync(dir, runAs.uid, runAs.gid);
    const blocked = unreachableAncestor(dir);
    if (blocked) {
      throw new PostgresUnavailable(
        `PostgreSQL runs as user postgres (initdb refuses root), which cannot enter ${blocked}: \`chmod o+x ${blocked}\`, use another CONVEYOR_DATA_DIR, or set CONVEYOR_POSTGRES_URL`,
      );
    }
  }
  const run = (binary: string, args: string[], allowFailure = false) =>
    runQuiet(path.join(bin, binary), args, { ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}), cwd: dir, allowFailure });

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    options.log(`Creating a private PostgreSQL cluster in ${dataDir} ...`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    const password = randomBytes(18).toString('base64url');
    fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs) fs.chownSync(passwordFile, runAs.uid, runAs.gid);
    await run('initdb', ['-D', dataDir, '-U', 'temporal', '--pwfile', passwordFile, '--auth', 'scram-sha-256', '-E', 'UTF8', '--locale', 'C']);
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  if ((await run('pg_ctl', ['status', '-D', dataDir], true)).code === 0) {
    options.log('A private PostgreSQL from an earlier run is still up; restarting it ...');
    await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w']);
  }
  const port = await freePort();
  // Loopback only, no Unix socket; enough connections for the four Temporal services' pools.
  const serverOptions = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories='' -c max_connections=200`;
  // Whatever ends this process from here on, PostgreSQL goes with it (pg_ctl detaches it from us).
  const stopSync = () => spawnSync(path.join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w'], { stdio: 'ignore', ...(runAs ?? {}) });
  process.once('exit', stopSync);
  await run('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '60']).catch((err: unknown) => {
    const logTail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n').pop() : undefined;
    throw new PostgresUnavailable(`${(err as Error).message}${logTail ? `; its log (${logFile}) ends: ${logTail}` : ''}`);
  });
  return {
    endpoint: { host: '127.0.0.1', port, user: 'temporal', password },
    dataDir,
    logFile,
    async stop() {
      process.removeListener('exit', stopSync);
      await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w']);
    },
  };
}

/** The first ancestor of `dir` that others may not enter (mode without o+x), or undefined. */
function unreachableAncestor(dir: string): string | undefined {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return d;
    if (d === path.dirname(d)) return undefined;
  }
}

/** Run a PostgreSQL tool; its output is shown only when it fails. */
function runQuiet(binary: string, args: string[], options: SpawnOptions & { allowFailure?: boolean }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (err) => reject(new PostgresUnavailable(`cannot run ${binary}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0 || options.allowFailure) return resolve({ code, output });
      const lines = output.trim().split('\n');
      reject(new PostgresUnavailable(`${path.basename(binary)} ${args[0]} failed (exit ${code}): ${lines[lines.length - 1] ?? ''}`));
    });
  });
}
