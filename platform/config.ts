/**
 * Conveyor's configuration, read once from the environment and validated with zod.
 * Every variable is documented in `.env.example`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_BACKFILL_TASK_QUEUE, DEFAULT_PYTHON_TASK_QUEUE, DEFAULT_TASK_QUEUE } from '../common/task-queues';
import { DEFAULT_SPARK_MASTER, sparkMasterSchema } from '../common/spark';
import { ALERT_SINKS, type AlertSink } from '../common/alert-sinks';
import { codecKeysSchema, type CodecKeys } from './payload-codec';
import { parseS3Url } from '../common/object-keys';
import { InputError } from '../common/errors';

const PROJECT_ROOT = path.resolve(__dirname, '..');

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. localhost:7233');

/** Where Temporal's PostgreSQL databases live and how to log in (`npx conveyor cluster`). */
export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** CONVEYOR_POSTGRES_URL: postgres://user:password@host:port (Temporal creates its own databases there). */
export const postgresUrlSchema = z
  .url({ protocol: /^postgres(ql)?$/, error: 'expected postgres://user:password@host:port' })
  .transform((raw, ctx): PostgresEndpoint => {
    const url = new URL(raw);
    if (!url.username || !url.hostname) {
      ctx.addIssue({ code: 'custom', message: 'expected postgres://user:password@host:port (user and host are required)' });
      return z.NEVER;
    }
    return {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
  });

/** Which task queues a worker process serves: daily, backfill, or both (comma-separated). */
export const workerQueuesSchema = z
  .string()
  .regex(/^(daily|backfill)(,(daily|backfill))*$/, 'expected daily, backfill or daily,backfill')
  .transform((s) => [...new Set(s.split(','))] as WorkerQueue[]);
export type WorkerQueue = 'daily' | 'backfill';

/** An empty value (`VAR=` in a .env file or compose's `${VAR:-}`) means unset. */
/** `s3://bucket/prefix`, checked by the one parser of S3 URLs (common/object-keys.ts). */
const s3UrlSchema = z.string().superRefine((url, ctx) => {
  try {
    parseS3Url(url);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^invalid S3 URL "[^"]*": /, '') });
  }
});

const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

const envSchema = z.object({
  TEMPORAL_ADDRESS: hostPort.default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
  /**
   * Temporal's HTTP API (what services call with curl, docs/services.md). `conveyor server`,
   * `conveyor start` and `conveyor cluster` serve it on this URL's port.
   */
  TEMPORAL_HTTP_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL, e.g. http://localhost:7243' }).default('http://localhost:7243'),
  /**
   * A remote Temporal (Temporal Cloud, a server behind TLS): the Temporal CLI's variable names.
   * TLS is on when TEMPORAL_TLS=true or when any of the certificates or an API key is given.
   */
  TEMPORAL_TLS: unsetWhenEmpty(z.enum(['true', 'false'], { error: 'expected true or false' }).optional()),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: unsetWhenEmpty(z.string().optional()),
  TEMPORAL_TLS_CLIENT_CERT_PATH: unsetWhenEmpty(z.string().optional()),
  TEMPORAL_TLS_CLIENT_KEY_PATH: unsetWhenEmpty(z.string().optional()),
  TEMPORAL_TLS_SERVER_NAME: unsetWhenEmpty(z.string().optional()),
  /** A secret: never logged, never in workflow inputs or search attributes. */
  TEMPORAL_API_KEY: unsetWhenEmpty(z.string().min(1).optional()),
  CONVEYOR_DATA_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.data')),
  /** The lake root (published partitions, reject bin, run manifests, staging); default `<data dir>/lake`. */
  CONVEYOR_LAKE_DIR: z.string().min(1).optional(),
  /** The lake in an S3 bucket (`s3://bucket/prefix`); CONVEYOR_LAKE_DIR is then this process's local cache of it. */
  CONVEYOR_LAKE_URL: unsetWhenEmpty(s3UrlSchema.optional()),
  /** The landing zone in an S3 bucket (`s3://bucket/prefix`); `<data dir>/landing` is then this process's local cache of it. */
  CONVEYOR_LANDING_URL: unsetWhenEmpty(s3UrlSchema.optional()),
  CONVEYOR_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  CONVEYOR_BACKFILL_TASK_QUEUE: z.string().min(1).default(DEFAULT_BACKFILL_TASK_QUEUE),
  CONVEYOR_WORKFLOW_BUNDLE: z.string().min(1).default(path.join(PROJECT_ROOT, '.build', 'workflow-bundle.js')),
  /** Which task queues this worker process serves: daily, backfill, or both (comma-separated). */
  CONVEYOR_WORKER_QUEUES: workerQueuesSchema.default(['daily', 'backfill']),
  /** Activity slots of each pool: the backfill pool is smaller so backfills cannot starve daily runs. */
  CONVEYOR_DAILY_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(1000).default(16),
  CONVEYOR_BACKFILL_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(1000).default(8),
  /**
   * While the daily pool of the same process is at work, the backfill pool takes workflow tasks at
   * this percentage of the rate it reached on its own (workers/production-first.ts); 0 pauses it.
   */
  CONVEYOR_BACKFILL_SHARE_WHILE_DAILY: z.coerce.number().int().min(0).max(100).default(50),
  /** `npx conveyor cluster`: an existing PostgreSQL for Temporal; unset, a private cluster under the data dir. */
  CONVEYOR_POSTGRES_URL: postgresUrlSchema.optional(),
  /** Where alerts go unless a pipeline's definition says otherwise: log, jsonl, webhook (comma-separated). */
  CONVEYOR_ALERT_SINKS: z
    .string()
    .regex(new RegExp(`^(${ALERT_SINKS.join('|')})(,(${ALERT_SINKS.join('|')}))*$`), `expected a comma-separated list of ${ALERT_SINKS.join(', ')}`)
    .transform((s) => [...new Set(s.split(','))] as AlertSink[])
    .default(['log', 'jsonl']),
  /** The JSON-lines alert file (sink `jsonl`); default `<data dir>/alerts.jsonl`. */
  CONVEYOR_ALERTS_FILE: z.string().min(1).optional(),
  /** The webhook (sink `webhook`): a Slack incoming-webhook URL or any endpoint taking its JSON. A secret: never logged in full. */
  CONVEYOR_ALERT_WEBHOOK_URL: unsetWhenEmpty(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional()),
  /** Serve Prometheus metrics (the SDK's and Conveyor's) from the worker on this port; unset: no metrics endpoint. */
  CONVEYOR_METRICS_PORT: unsetWhenEmpty(z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535).optional()),
  /** Encrypt payloads (AES-256-GCM) with these keys, `id:base64,...`, the first encrypting; unset: payloads in clear. A secret. */
  CONVEYOR_CODEC_KEYS: unsetWhenEmpty(codecKeysSchema.optional()),
  /** `npx conveyor codec-server`: the codec endpoint the Web UI decodes payloads through. */
  CONVEYOR_CODEC_PORT: z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535).default(8091),
  /** `npx conveyor dashboard` (and `npm start`) serve the dashboard on this port. */
  CONVEYOR_DASHBOARD_PORT: z.coerce.number({ error: 'expected a port number' }).int().min(1).max(65535).default(8090),
  /** Conveyor's Python worker serves `python` transforms on this task queue. */
  CONVEYOR_PYTHON_TASK_QUEUE: z.string().min(1).default(DEFAULT_PYTHON_TASK_QUEUE),
  CONVEYOR_PYTHON_ACTIVITY_SLOTS: z.coerce.number({ error: 'expected a whole number from 1 to 64' }).int().min(1).max(64).default(4),
  /** Where `spark` transforms that name no master run: local[*] (the Python worker's machine) or a standalone cluster. */
  CONVEYOR_SPARK_MASTER: sparkMasterSchema.default(DEFAULT_SPARK_MASTER),
  /** The dbt executable the `dbt` transform runs; default `.tools/python/bin/dbt` (`npm run python-env`), else `dbt` on PATH. */
  CONVEYOR_DBT: unsetWhenEmpty(z.string().min(1).optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every variable Conveyor reads (each documented in `.env.example`). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

/** How to reach a Temporal server that needs TLS (its certificates read from files) or an API key. */
export interface TemporalSecurity {
  tls?: {
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
    serverNameOverride?: string;
  };
  /** Secret. */
  apiKey?: string;
}

export interface ConveyorConfig {
  temporalAddress: string;
  /** TLS and API key for the Temporal connection (empty for a local server). */
  temporalSecurity: TemporalSecurity;
  namespace: string;
  webUiUrl: string;
  /** TEMPORAL_HTTP_URL, without a trailing `/`: Temporal's HTTP API (`<url>/api/v1/...`). */
  httpApiUrl: string;
  dataDir: string;
  landingDir: string;
  /** CONVEYOR_LANDING_URL: the landing zone in S3 (landingDir is then its local cache). */
  landingUrl?: string;
  lakeDir: string;
  /** CONVEYOR_LAKE_URL: the lake in S3 (lakeDir is then its local cache). */
  lakeUrl?: string;
  taskQueue: string;
  backfillTaskQueue: string;
  workflowBundlePath: string;
  workerQueues: WorkerQueue[];
  dailyActivitySlots: number;
  backfillActivitySlots: number;
  /** CONVEYOR_BACKFILL_SHARE_WHILE_DAILY, as a fraction (0 to 1). */
  backfillShareWhileDaily: number;
  /** CONVEYOR_POSTGRES_URL, parsed; the password is never logged. */
  postgres?: PostgresEndpoint;
  alerts: {
    sinks: AlertSink[];
    file: string;
    /** Secret: log it only through `redactUrl`. */
    webhookUrl?: string;
  };
  /** Payload encryption keys (CONVEYOR_CODEC_KEYS), when enabled. Secret. */
  codecKeys?: CodecKeys;
  codecPort: number;
  /** Port of the worker's Prometheus endpoint, when enabled. */
  metricsPort?: number;
  dashboardPort: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** CONVEYOR_DBT: the dbt executable the `dbt` transform runs (undefined: the project's, else PATH's). */
  dbt: string | undefined;
  /** CONVEYOR_PYTHON_TASK_QUEUE: where Conveyor's Python worker serves `python` transforms. */
  pythonTaskQueue: string;
  /** CONVEYOR_PYTHON_ACTIVITY_SLOTS: how many `python` transforms the Python worker runs at once. */
  pythonActivitySlots: number;
  /** CONVEYOR_SPARK_MASTER: where `spark` transforms that name no master run. */
  sparkMaster: string;
}

/** Variables whose values may hold a password: an error shows only what follows the last `@`. */
const SECRET_VARS = new Set(['CONVEYOR_POSTGRES_URL', 'CONVEYOR_ALERT_WEBHOOK_URL', 'TEMPORAL_API_KEY', 'CONVEYOR_CODEC_KEYS']);
function shownValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined || !SECRET_VARS.has(name)) return value;
  if (name === 'TEMPORAL_API_KEY' || name === 'CONVEYOR_CODEC_KEYS') return '***';
  if (name === 'CONVEYOR_ALERT_WEBHOOK_URL') {
    // Scheme and host only: no user, password, path or query (a webhook's secret is in its path).
    try {
      const url = new URL(value);
      return `${url.protocol}//${url.host}/***`;
    } catch {
      return '***';
    }
  }
  const at = value.lastIndexOf('@');
  return at < 0 ? '***' : `***${value.slice(at)}`;
}

export class ConfigError extends InputError {
  override name = 'ConfigError';
}

/** Parse the environment; a bad value raises a one-line `ConfigError` naming the variable and what is allowed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConveyorConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new ConfigError(`invalid ${name}=${JSON.stringify(shownValue(name, env[name]))}: ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.CONVEYOR_DATA_DIR);
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalSecurity: temporalSecurityOf(e),
    namespace: e.TEMPORAL_NAMESPACE,
    webUiUrl: e.TEMPORAL_UI_URL.replace(/\/$/, ''),
    httpApiUrl: e.TEMPORAL_HTTP_URL.replace(/\/$/, ''),
    dataDir,
    landingDir: path.join(dataDir, e.CONVEYOR_LANDING_URL ? 'landing-cache' : 'landing'),
    ...(e.CONVEYOR_LANDING_URL ? { landingUrl: e.CONVEYOR_LANDING_URL } : {}),
    lakeDir: path.resolve(e.CONVEYOR_LAKE_DIR ?? path.join(dataDir, e.CONVEYOR_LAKE_URL ? 'lake-cache' : 'lake')),
    ...(e.CONVEYOR_LAKE_URL ? { lakeUrl: e.CONVEYOR_LAKE_URL } : {}),
    taskQueue: e.CONVEYOR_TASK_QUEUE,
    backfillTaskQueue: e.CONVEYOR_BACKFILL_TASK_QUEUE,
    workflowBundlePath: path.resolve(e.CONVEYOR_WORKFLOW_BUNDLE),
    workerQueues: e.CONVEYOR_WORKER_QUEUES,
    dailyActivitySlots: e.CONVEYOR_DAILY_ACTIVITY_SLOTS,
    backfillActivitySlots: e.CONVEYOR_BACKFILL_ACTIVITY_SLOTS,
    backfillShareWhileDaily: e.CONVEYOR_BACKFILL_SHARE_WHILE_DAILY / 100,
    postgres: e.CONVEYOR_POSTGRES_URL,
    alerts: {
      sinks: e.CONVEYOR_ALERT_SINKS,
      file: path.resolve(e.CONVEYOR_ALERTS_FILE ?? path.join(dataDir, 'alerts.jsonl')),
      webhookUrl: e.CONVEYOR_ALERT_WEBHOOK_URL,
    },
    metricsPort: e.CONVEYOR_METRICS_PORT,
    codecKeys: e.CONVEYOR_CODEC_KEYS,
    codecPort: e.CONVEYOR_CODEC_PORT,
    dashboardPort: e.CONVEYOR_DASHBOARD_PORT,
    logLevel: e.LOG_LEVEL,
    dbt: e.CONVEYOR_DBT,
    pythonTaskQueue: e.CONVEYOR_PYTHON_TASK_QUEUE,
    pythonActivitySlots: e.CONVEYOR_PYTHON_ACTIVITY_SLOTS,
    sparkMaster: e.CONVEYOR_SPARK_MASTER,
  };
}

/**
 * The port a server Conveyor starts (`conveyor server`, `start`, `cluster`) serves Temporal's HTTP API
 * on: TEMPORAL_HTTP_URL's (80 when it names none). They serve plain http, so an https URL is refused.
 */
export function localHttpApiPort(config: Pick<ConveyorConfig, 'httpApiUrl'>): number {
  const url = new URL(config.httpApiUrl);
  if (url.protocol !== 'http:') {
    throw new ConfigError(`invalid TEMPORAL_HTTP_URL=${JSON.stringify(config.httpApiUrl)}: a server Conveyor starts serves its HTTP API over plain http (e.g. http://localhost:7243)`);
  }
  return Number(url.port || 80);
}

/** The port a server Conveyor starts serves the Web UI on: TEMPORAL_UI_URL's (8233 when it names none). */
export function localWebUiPort(config: Pick<ConveyorConfig, 'webUiUrl'>): number {
  return Number(new URL(config.webUiUrl).port || 8233);
}

/** TLS settings and API key from the environment; certificate files are read here, a bad one named in one line. */
function temporalSecurityOf(e: z.infer<typeof envSchema>): TemporalSecurity {
  const read = (name: keyof typeof e) => {
    const file = e[name] as string | undefined;
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ConfigError(`invalid ${name}=${JSON.stringify(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  if ((e.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_CLIENT_KEY_PATH === undefined)) {
    throw new ConfigError('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together (mTLS needs both the certificate and its key)');
  }
  const ca = read('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  const crt = read('TEMPORAL_TLS_CLIENT_CERT_PATH');
  const key = read('TEMPORAL_TLS_CLIENT_KEY_PATH');
  const wanted = e.TEMPORAL_TLS === 'true' || (e.TEMPORAL_TLS !== 'false' && (ca || crt || e.TEMPORAL_TLS_SERVER_NAME || e.TEMPORAL_API_KEY));
  if (e.TEMPORAL_TLS === 'false' && (ca || crt)) throw new ConfigError('TEMPORAL_TLS=false, but TLS certificates are given: remove one or the other');
  return {
    ...(wanted
      ? {
          tls: {
            ...(ca ? { serverRootCACertificate: ca } : {}),
            ...(crt && key ? { clientCertPair: { crt, key } } : {}),
            ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
          },
        }
      : {}),
    ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
  };
}

export { PROJECT_ROOT };
