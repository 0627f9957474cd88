/**
 * Conveyor's production-shape Temporal stack on one machine, as docker-compose.yml deploys it:
 * PostgreSQL (CONVEYOR_POSTGRES_URL or a private cluster), the schema steps
 * (deploy/temporal/setup-schema.sh), the full Temporal server with deploy/temporal/config, the namespace
 * and search attributes (deploy/temporal/setup-namespace.sh), and the Web UI server.
 */
import { spawn, spawnSync } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitForServer } from '../../../platform/temporal';
import { CONVEYOR_SEARCH_ATTRIBUTES } from '../../../common/search-attributes';
import {
  DEPLOY_DIR,
  DYNAMIC_CONFIG_FILE,
  NAMESPACE_RETENTION,
  SETUP_NAMESPACE_SCRIPT,
  SETUP_SCHEMA_SCRIPT,
  TEMPORAL_CONFIG_ENV,
  TEMPORAL_DEPLOY_DIR,
  UI_CONFIG_DIR_NAME,
} from '../deploy-files';
import { spawnService, stopLeftover, type ServiceProcess } from '../service-process';
import type { PostgresEndpoint } from '../../../platform/config';
import { freePort } from '../ports';
import { startPrivatePostgres } from './postgres';
import type { ClusterTools } from './tools';
import { Unavailable } from '../../../common/errors';

export class ClusterStartFailed extends Unavailable {
  override name = 'ClusterStartFailed';
}

/** The server's listening ports besides the frontend's gRPC and HTTP ones; `default` keeps the config file's defaults (7234, 6933, ...). */
const INTERNAL_PORTS = [
  'TEMPORAL_FRONTEND_MEMBERSHIP_PORT',
  'TEMPORAL_HISTORY_PORT',
  'TEMPORAL_HISTORY_MEMBERSHIP_PORT',
  'TEMPORAL_MATCHING_PORT',
  'TEMPORAL_MATCHING_MEMBERSHIP_PORT',
  'TEMPORAL_WORKER_PORT',
  'TEMPORAL_WORKER_MEMBERSHIP_PORT',
] as const;

/** The frontend's HTTP API port when none is given (deploy/temporal/config/conveyor.yaml's default, TEMPORAL_HTTP_URL's). */
export const DEFAULT_HTTP_PORT = 7243;

const SERVER_PID_FILE = 'temporal-server.pid';
const UI_PID_FILE = 'temporal-ui.pid';

/**
 * Stop the Temporal server and Web UI an earlier `npx conveyor cluster` in `stateDir` left running (it was
 * killed with SIGKILL, so it could not stop them). Its PostgreSQL is restarted by startCluster.
 */
export async function stopLeftovers(stateDir: string, tools: ClusterTools, progress: (line: string) => void): Promise<void> {
  for (const [file, binary, what] of [[SERVER_PID_FILE, tools.server, 'Temporal server'], [UI_PID_FILE, tools.ui, 'Web UI server']] as const) {
    if (binary && (await stopLeftover(path.join(stateDir, file), binary))) progress(`Stopped the ${what} an earlier npx conveyor cluster left running.`);
  }
}

export interface ClusterOptions {
  tools: ClusterTools;
  /** Logs, and the private PostgreSQL cluster (`postgres/`) when `postgres` is not given. */
  stateDir: string;
  /** An existing PostgreSQL (CONVEYOR_POSTGRES_URL); otherwise a private cluster in `stateDir`. */
  postgres?: PostgresEndpoint;
  /**
   * Database names (default temporal and temporal_visibility). Tests and the bench on a shared
   * CONVEYOR_POSTGRES_URL use their own, dropped again by `stop()` (`dropOnStop`).
   */
  databases?: { main: string; visibility: string; dropOnStop?: boolean };
  /** The frontend's gRPC address, host:port (TEMPORAL_ADDRESS). */
  address: string;
  /** `default`: the config file's ports (what `npx conveyor cluster` uses); `free`: any free ones (tests). */
  internalPorts: 'default' | 'free';
  /** The frontend's HTTP API port (TEMPORAL_HTTP_URL's); when not given, 7243 with `default` ports, a free one with `free`. */
  httpPort?: number;
  /** Web UI port; no UI when undefined or when the UI server could not be built. */
  uiPort?: number;
  namespace: string;
  progress: (line: string) => void;
}

export interface RunningCluster {
  address: string;
  uiUrl?: string;
  /** Temporal's HTTP API, e.g. http://localhost:7243 (paths under /api/v1/). */
  httpUrl: string;
  postgres: PostgresEndpoint;
  serverLogFile: string;
  /** The Temporal server process running now. */
  server(): ServiceProcess;
  /** Start the server again on the same database (after it was killed). */
  restartServer(): Promise<void>;
  /** Stop what was started, in reverse order. */
  stop(): Promise<void>;
}

/** Run a setup script; its lines go to `progress`; on failure, a one-line error with its last line. */
function runScript(script: string, env: NodeJS.ProcessEnv, progress: (line: string) => void, showLine: (line: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let lastLines: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        lastLines = [...lastLines.slice(-19), line];
        if (showLine(line)) progress(`    ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new ClusterStartFailed(`cannot run ${script}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      reject(new ClusterStartFailed(`${path.relative(DEPLOY_DIR, script)} failed (exit ${code}): ${firstError(lastLines)}`));
    });
  });
}

/**
 * The cause in a Temporal tool's failing output: its first ERROR line's message and `error` field (a
 * later line often only says "no usable database connection found"), else the last line.
 */
export function firstError(lines: string[]): string {
  const plain = lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim()).filter(Boolean);
  const error = plain.find((l) => /\bERROR\b/.test(l));
  if (!error) return (plain.pop() ?? '').slice(0, 400);
  const message = /\bERROR\s+([^{]*)/.exec(error)?.[1]?.trim() ?? '';
  const field = /"error":\s*"((?:[^"\\]|\\.)*)"/.exec(error)?.[1]?.replace(/\\"/g, '"');
  return (field ? `${message} ${field}` : message || error).slice(0, 400);
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const { tools, progress } = options;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  fs.mkdirSync(options.stateDir, { recursive: true });
  try {
    let postgres = options.postgres;
    if (postgres) {
      progress(`PostgreSQL: ${postgres.host}:${postgres.port} (CONVEYOR_POSTGRES_URL)`);
    } else {
      const pg = await startPrivatePostgres({ dir: path.join(options.stateDir, 'postgres'), log: progress });
      stops.push(() => pg.stop());
      postgres = pg.endpoint;
      progress(`PostgreSQL: private cluster at ${postgres.host}:${postgres.port} (data in ${pg.dataDir})`);
    }
    const pgEnv: Record<string, string> = { POSTGRES_HOST: postgres.host, POSTGRES_PORT: String(postgres.port), POSTGRES_USER: postgres.user, POSTGRES_PWD: postgres.password };
    const databases = options.databases;
    if (databases) {
      Object.assign(pgEnv, { TEMPORAL_DB: databases.main, TEMPORAL_VISIBILITY_DB: databases.visibility });
      if (databases.dropOnStop) {
        const dropEnv = { ...process.env, SQL_PLUGIN: 'postgres12', SQL_HOST: postgres.host, SQL_PORT: String(postgres.port), SQL_USER: postgres.user, SQL_PASSWORD: postgres.password };
        stops.push(async () => {
          for (const db of [databases.main, databases.visibility]) spawnSync(tools.sqlTool, ['--db', db, 'drop-database', '--force'], { env: dropEnv, stdio: 'ignore' });
        });
      }
    }

    progress('Schemas: creating or upgrading temporal and temporal_visibility (deploy/temporal/setup-schema.sh) ...');
    await runScript(SETUP_SCHEMA_SCRIPT, { ...process.env, ...pgEnv, SQL_TOOL: tools.sqlTool }, progress, (line) => line.startsWith('schema:'));

    const [host, port] = options.address.split(':') as [string, string];
    // The server binds to an IP address, not a name.
    const bindIp = host === 'localhost' ? '127.0.0.1' : net.isIP(host) ? host : await resolveIPv4(host);
    // Bound to every interface, the server still announces one address its services can reach.
    const announced = bindIp === '0.0.0.0' ? '127.0.0.1' : bindIp;
    const httpPort = options.httpPort ?? (options.internalPorts === 'free' ? await freePort() : DEFAULT_HTTP_PORT);
    const portEnv: Record<string, string> = { TEMPORAL_FRONTEND_PORT: port, TEMPORAL_FRONTEND_HTTP_PORT: String(httpPort) };
    if (options.internalPorts === 'free') {
      for (const name of INTERNAL_PORTS) portEnv[name] = String(await freePort());
    }
    const serverEnv = {
      ...process.env,
      ...pgEnv,
      ...portEnv,
      TEMPORAL_BIND_IP: bindIp,
      TEMPORAL_BROADCAST_ADDRESS: announced,
      TEMPORAL_DYNAMIC_CONFIG: DYNAMIC_CONFIG_FILE,
    };
    const serverLogFile = path.join(options.stateDir, 'temporal-server.log');
    const address = `${announced}:${port}`;
    // The HTTP API listens on the frontend's IP.
    const httpUrl = `http://${announced === '127.0.0.1' ? 'localhost' : announced}:${httpPort}`;
    let server!: ServiceProcess;
    const startServer = async () => {
      server = spawnService(
        'the Temporal server',
        tools.server,
        ['--root', TEMPORAL_DEPLOY_DIR, '--config', 'config', '--env', TEMPORAL_CONFIG_ENV, '--allow-no-auth', 'start'],
        { env: serverEnv, logFile: serverLogFile, pidFile: path.join(options.stateDir, SERVER_PID_FILE) },
      );
      const current = server;
      try {
        await waitForServer(address, {
          timeoutMs: 90_000,
          abort: () => (current.running() ? undefined : new ClusterStartFailed(`the Temporal server exited while starting (log: ${serverLogFile}): ${serverLogCause(current.outputTail(1))}`)),
        });
      } catch (err) {
        await current.stop();
        throw err;
      }
    };
    progress(`Temporal server ${path.basename(path.dirname(tools.server))}: starting on ${address} (log: ${serverLogFile}) ...`);
    await startServer();
    stops.push(() => server.stop(30_000));

    progress(`Namespace ${options.namespace} and search attributes (deploy/temporal/setup-namespace.sh) ...`);
    await runScript(
      SETUP_NAMESPACE_SCRIPT,
      {
        ...process.env,
        TEMPORAL_ADDRESS: address,
        NAMESPACE: options.namespace,
        NAMESPACE_RETENTION,
        SEARCH_ATTRIBUTES: CONVEYOR_SEARCH_ATTRIBUTES.map((a) => a.name).join(' '),
        TEMPORAL_CLI: tools.cli,
      },
      progress,
      (line) => / registered| ready /.test(line),
    );

    let uiUrl: string | undefined;
    if (options.uiPort !== undefined && tools.ui) {
      const ui = spawnService('the Web UI server', tools.ui, ['--root', DEPLOY_DIR, '--config', UI_CONFIG_DIR_NAME, '--env', TEMPORAL_CONFIG_ENV, 'start'], {
        env: { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_UI_HOST: bindIp, TEMPORAL_UI_PORT: String(options.uiPort), TEMPORAL_DEFAULT_NAMESPACE: options.namespace },
        logFile: path.join(options.stateDir, 'temporal-ui.log'),
        pidFile: path.join(options.stateDir, UI_PID_FILE),
      });
      stops.push(() => ui.stop());
      uiUrl = `http://localhost:${options.uiPort}`;
      if (!(await httpAnswers(uiUrl, ui, 20_000))) {
        progress(`    the Web UI did not come up (log: ${path.join(options.stateDir, 'temporal-ui.log')}): ${ui.outputTail(1)}`);
        await ui.stop();
        uiUrl = undefined;
      }
    }
    return {
      address,
      uiUrl,
      httpUrl,
      postgres,
      serverLogFile,
      server: () => server,
      restartServer: startServer,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** A server log line (JSON) as `message: error`, without its stack trace. */
export function serverLogCause(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; error?: string };
    if (entry.msg) return `${entry.msg}${entry.error ? `: ${entry.error}` : ''}`;
  } catch {
    // not JSON
  }
  return line.slice(0, 400);
}

async function resolveIPv4(host: string): Promise<string> {
  try {
    return (await dns.lookup(host, { family: 4 })).address;
  } catch (err) {
    throw new ClusterStartFailed(`cannot resolve TEMPORAL_ADDRESS's host ${host} to an IPv4 address (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

async function httpAnswers(url: string, service: ServiceProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && service.running()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
