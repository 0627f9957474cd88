/**
 * Runs `temporal server start-dev` with Conveyor's settings: SQLite persistence under the data dir
 * (state survives restarts), gRPC on 7233, the Web UI on 8233, the HTTP API on 7243, Conveyor's
 * search attributes registered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { waitForServer } from '../../platform/temporal';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { CONVEYOR_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { serverDynamicConfig } from './deploy-files';
import { spawnService } from './service-process';
import { localHttpApiPort, localWebUiPort, type ConveyorConfig } from '../../platform/config';
import { ensureTemporalCli, type TemporalCli } from './temporal-cli';
import { Unavailable } from '../../common/errors';

/** The dev server did not come up (a port in use, a broken state file): one line, with its last words. */
export class DevServerUnavailable extends Unavailable {
  override name = 'DevServerUnavailable';
}

/**
 * Settings every Conveyor server runs with (`npx conveyor server`, `npm start`, tests, bench), measured
 * with `npm run bench`:
 * - SQLite in WAL mode with synchronous=NORMAL: commits no longer wait for an fsync of the rollback
 *   journal, which took the server from ~13 to ~32 workflows/s on 2 cores. A killed server process
 *   loses nothing; only an OS crash or power cut can lose the last commits (Temporal then retries
 *   those tasks, and every Conveyor step is idempotent).
 * - The dynamic config every stack shares (deploy/temporal/dynamicconfig/conveyor.yaml), e.g. eager
 *   activity execution (~20% more throughput).
 */
export const SERVER_SQLITE_PRAGMAS: Readonly<Record<string, string>> = { journal_mode: 'wal', synchronous: 'normal' };

/** `temporal server start-dev` arguments for the settings above (pragmas only apply to a file). */
export function serverTuningArgs(options: { persistent: boolean }): string[] {
  return [
    ...Object.entries(serverDynamicConfig()).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
    ...(options.persistent ? Object.entries(SERVER_SQLITE_PRAGMAS).flatMap(([key, value]) => ['--sqlite-pragma', `${key}=${value}`]) : []),
  ];
}

export interface DevServerOptions {
  cli: TemporalCli;
  /** SQLite file for persistence; omit for an in-memory server (benchmarks). */
  dbFile?: string;
  ip?: string;
  port: number;
  uiPort: number;
  /** Temporal's HTTP API (left to itself, the CLI would pick a random port and not say which). */
  httpPort: number;
  namespace?: string;
  log?: (line: string) => void;
  /** The Web UI decodes encrypted payloads through this codec endpoint (`npx conveyor codec-server`). */
  uiCodecEndpoint?: string;
}

/** Where the Web UI finds the codec endpoint when payloads are encrypted (CONVEYOR_CODEC_KEYS), or undefined. */
export const uiCodecEndpointOf = (config: { codecKeys?: unknown; codecPort: number }) => (config.codecKeys ? `http://localhost:${config.codecPort}` : undefined);

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  /** Temporal's HTTP API, e.g. http://localhost:7243 (paths under /api/v1/). */
  httpUrl: string;
  /** The server's process ID (undefined when the SDK runs it), for CPU and memory readings. */
  pid?: number;
  /** Resolves when the server exits. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const address = `${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${options.port}`;
  const uiUrl = `http://localhost:${options.uiPort}`;
  // The HTTP API listens on the frontend's IP.
  const httpUrl = `http://${ip === '127.0.0.1' || ip === '0.0.0.0' ? 'localhost' : ip}:${options.httpPort}`;
  const httpArgs = ['--http-port', String(options.httpPort)];
  const log = options.log ?? (() => undefined);
  if (options.dbFile) fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });

  if (options.cli.kind === 'sdk-download') {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip,
        port: options.port,
        uiPort: options.uiPort,
        dbFilename: options.dbFile,
        namespace: options.namespace,
        searchAttributes: CONVEYOR_SEARCH_ATTRIBUTES,
        extraArgs: [...httpArgs, ...serverTuningArgs({ persistent: options.dbFile !== undefined }), ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : [])],
      },
    });
    let resolveExit!: (code: number | null) => void;
    const exited = new Promise<number | null>((resolve) => (resolveExit = resolve));
    return { address, uiUrl, httpUrl, exited, stop: async () => { await env.teardown(); resolveExit(0); } };
  }

  const args = [
    'server', 'start-dev',
    '--ip', ip,
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    ...httpArgs,
    '--namespace', options.namespace ?? 'default',
    '--log-level', 'warn',
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
    ...CONVEYOR_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
    ...serverTuningArgs({ persistent: options.dbFile !== undefined }),
  ];
  const server = spawnService('the Temporal dev server', options.cli.path, args, { log });
  try {
    await waitForServer(address, {
      timeoutMs: 60_000,
      abort: () => (server.running() ? undefined : new DevServerUnavailable(`the Temporal server exited while starting (a port in use? TEMPORAL_ADDRESS, TEMPORAL_UI_URL and TEMPORAL_HTTP_URL choose them): ${server.outputTail(3)}`)),
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { address, uiUrl, httpUrl, pid: server.pid, exited: server.exited, stop: () => server.stop() };
}

/**
 * The dev server as the configuration says (`conveyor server`, `conveyor start`): on TEMPORAL_ADDRESS,
 * its state in `<data dir>/temporal/temporal.db`, the Web UI on TEMPORAL_UI_URL's port, the HTTP API
 * on TEMPORAL_HTTP_URL's port. Finds or builds the Temporal CLI first (`progress` shows the build).
 */
export async function startConfiguredDevServer(
  config: Pick<ConveyorConfig, 'temporalAddress' | 'dataDir' | 'webUiUrl' | 'httpApiUrl' | 'namespace' | 'codecKeys' | 'codecPort'>,
  options: { log: (line: string) => void; progress: (line: string) => void },
): Promise<RunningDevServer & { dbFile: string }> {
  const httpPort = localHttpApiPort(config);
  const cli = await ensureTemporalCli({ progress: options.progress, allowSdkDownload: true });
  const [host, port] = config.temporalAddress.split(':') as [string, string];
  const dbFile = path.join(config.dataDir, 'temporal', 'temporal.db');
  const server = await startDevServer({
    cli,
    dbFile,
    ip: host === 'localhost' ? '127.0.0.1' : host,
    port: Number(port),
    uiPort: localWebUiPort(config),
    httpPort,
    namespace: config.namespace,
    log: options.log,
    uiCodecEndpoint: uiCodecEndpointOf(config),
  });
  return { ...server, dbFile };
}
