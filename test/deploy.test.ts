/**
 * The two production-shape stacks stay one: docker-compose.yml (read here; no Docker engine runs on
 * this machine) deploys the server release, config files and setup scripts that `npx conveyor cluster`
 * runs natively and test/cluster.e2e.test.ts tests. And the cluster's configuration checks.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseS3Url } from '../lake/object-store';
import { ConfigError, loadConfig, localHttpApiPort } from '../platform/config';
import { CONVEYOR_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { DEFAULT_HTTP_PORT, firstError, serverLogCause } from '../scripts/lib/cluster/stack';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../scripts/lib/cluster/tools';
import {
  DYNAMIC_CONFIG_FILE,
  NAMESPACE_RETENTION,
  SETUP_NAMESPACE_SCRIPT,
  SETUP_SCHEMA_SCRIPT,
  TEMPORAL_CONFIG_ENV,
  TEMPORAL_DEPLOY_DIR,
  serverDynamicConfig,
} from '../scripts/lib/deploy-files';
import { serverTuningArgs } from '../scripts/lib/dev-server';
import { WORKER_NODE_FLAGS } from '../workers/node-flags';

const ROOT = path.resolve(__dirname, '..');

interface Service {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  entrypoint?: string[];
  command?: string[] | string;
  ports?: string[];
}
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const MOUNT = '/etc/conveyor/temporal';
/** A service's environment as compose gives it when the variables are unset: `${VAR:-default}` → default. */
const composeEnv = (env: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
/** docker-compose path → the file in this repository. */
const inRepo = (containerPath: string) => path.join(TEMPORAL_DEPLOY_DIR, path.relative(MOUNT, containerPath));

describe('docker-compose.yml deploys what npx conveyor cluster runs', () => {
  it('runs the same Temporal server and Web UI releases', () => {
    const release = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    assert.equal(services.temporal!.image, `temporalio/server:${release}`);
    for (const name of ['temporal-schema', 'temporal-setup']) assert.ok(services[name]!.image!.startsWith(`temporalio/admin-tools:${release}-`), name);
    assert.equal(services['temporal-ui']!.image, `temporalio/ui:${TEMPORAL_UI_VERSION.replace(/^v/, '')}`);
  });

  it('mounts deploy/temporal and runs its config, dynamic config and setup scripts', () => {
    for (const name of ['temporal-schema', 'temporal', 'temporal-setup']) assert.ok(services[name]!.volumes!.includes(`./deploy/temporal:${MOUNT}:ro`), name);
    assert.equal(inRepo(services['temporal-schema']!.entrypoint![1]!), SETUP_SCHEMA_SCRIPT);
    assert.equal(inRepo(services['temporal-setup']!.entrypoint![1]!), SETUP_NAMESPACE_SCRIPT);
    const serverCommand = String(services.temporal!.command);
    assert.match(serverCommand, new RegExp(`exec temporal-server --root ${MOUNT} --config config --env ${TEMPORAL_CONFIG_ENV} --allow-no-auth start`));
    assert.ok(fs.existsSync(path.join(TEMPORAL_DEPLOY_DIR, 'config', `${TEMPORAL_CONFIG_ENV}.yaml`)));
    assert.equal(inRepo(services.temporal!.environment!.TEMPORAL_DYNAMIC_CONFIG!), DYNAMIC_CONFIG_FILE);
  });

  it('gives the server and the schema job the PostgreSQL variables the config file reads', () => {
    const template = fs.readFileSync(path.join(TEMPORAL_DEPLOY_DIR, 'config', `${TEMPORAL_CONFIG_ENV}.yaml`), 'utf8');
    const read = new Set([...template.matchAll(/env "(POSTGRES_\w+)"/g)].map((m) => m[1]!));
    assert.deepEqual([...read].sort(), ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_PWD', 'POSTGRES_USER']);
    for (const name of ['temporal-schema', 'temporal']) {
      for (const variable of read) assert.ok(services[name]!.environment![variable], `${name} sets ${variable}`);
    }
    assert.equal(services.postgresql!.environment!.POSTGRES_PASSWORD, services.temporal!.environment!.POSTGRES_PWD);
  });

  it('publishes the frontend\'s gRPC and HTTP API on 127.0.0.1 where TEMPORAL_ADDRESS and TEMPORAL_HTTP_URL say by default, as npx conveyor cluster serves them', () => {
    const template = fs.readFileSync(path.join(TEMPORAL_DEPLOY_DIR, 'config', `${TEMPORAL_CONFIG_ENV}.yaml`), 'utf8');
    const portIn = (name: string) => Number(new RegExp(`env "${name}" \\| default "(\\d+)"`).exec(template)?.[1]);
    const [grpc, http] = [portIn('TEMPORAL_FRONTEND_PORT'), portIn('TEMPORAL_FRONTEND_HTTP_PORT')];
    const defaults = loadConfig({});
    assert.equal(defaults.temporalAddress, `localhost:${grpc}`);
    assert.equal(defaults.httpApiUrl, `http://localhost:${http}`);
    assert.equal(localHttpApiPort(defaults), http);
    assert.equal(DEFAULT_HTTP_PORT, http, 'npx conveyor cluster with the default ports');
    assert.equal(services.temporal!.environment!.TEMPORAL_FRONTEND_HTTP_PORT, undefined, 'the container keeps the config file\'s default');
    assert.deepEqual(services.temporal!.ports, [`127.0.0.1:${grpc}:${grpc}`, `127.0.0.1:${http}:${http}`]);
  });

  it('registers the namespace with Conveyor\'s search attributes and retention', () => {
    const setup = services['temporal-setup']!.environment!;
    assert.deepEqual(setup.SEARCH_ATTRIBUTES!.split(' '), CONVEYOR_SEARCH_ATTRIBUTES.map((a) => a.name));
    assert.equal(setup.NAMESPACE_RETENTION, NAMESPACE_RETENTION);
  });

  it('Prometheus scrapes every worker on its metrics port; the dashboard reads the workers\' lake', () => {
    const prometheus = services.prometheus!;
    assert.ok(prometheus.volumes!.includes('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
    const scrape = parse(fs.readFileSync(path.join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { dns_sd_configs: { names: string[]; port: number }[] }[];
    };
    const target = scrape.scrape_configs[0]!.dns_sd_configs[0]!;
    assert.deepEqual(target.names, ['conveyor-daily-worker', 'conveyor-backfill-worker']);
    for (const name of target.names) {
      const config = loadConfig(composeEnv(services[name]!.environment));
      assert.equal(config.metricsPort, target.port, `${name} serves metrics where Prometheus scrapes`);
      assert.equal(config.alerts.webhookUrl, undefined, 'an empty webhook URL from compose means no webhook');
    }
    const dashboard = services['conveyor-dashboard']!;
    assert.deepEqual(dashboard.command, ['node', 'cli/bin.js', 'dashboard', '--host', '0.0.0.0', '--port', '8090']);
    assert.equal(dashboard.volumes, undefined, 'no folder shared with the workers');
    assert.equal(loadConfig(composeEnv(dashboard.environment)).lakeUrl, loadConfig(composeEnv(services['conveyor-daily-worker']!.environment)).lakeUrl);
  });

  it('runs a daily and a backfill worker service with the same flags, sharing nothing but Temporal and the S3 service\'s buckets', () => {
    const worker = (name: string) => services[name] as Service & { command: string[] };
    for (const queue of ['daily', 'backfill']) {
      assert.deepEqual(worker(`conveyor-${queue}-worker`).command, ['node', ...WORKER_NODE_FLAGS, 'workers/main.ts', '--queues', queue]);
    }
    const s3 = services.s3 as Service & { command: string[] };
    const buckets = s3.command.find((a) => a.startsWith('-bucket='))!.slice('-bucket='.length).split(',');
    for (const queue of ['daily', 'backfill']) {
      const w = worker(`conveyor-${queue}-worker`);
      assert.equal(w.volumes, undefined, `${queue}: no shared folder`);
      const config = loadConfig(composeEnv(w.environment));
      for (const url of [config.lakeUrl!, config.landingUrl!]) assert.ok(buckets.includes(parseS3Url(url).bucket), `${url} is a bucket of the s3 service`);
      const env = composeEnv(w.environment);
      assert.equal(new URL(env.AWS_ENDPOINT_URL_S3!).host, `s3:${/-s3\.port=(\d+)/.exec(s3.command.join(' '))![1]}`);
      assert.equal(env.AWS_SECRET_ACCESS_KEY, composeEnv(s3.environment).AWS_SECRET_ACCESS_KEY, 'the workers hold the S3 service\'s credentials');
    }
    assert.ok(s3.command.includes('-master.telemetry=false') && s3.command.includes('-admin.ui=false'), 'telemetry and the admin UI off');
    assert.match(String(s3.image), /^chrislusf\/seaweedfs:4\.53$/, 'the release the tests build natively');
  });

  it('the dev server runs with the same dynamic config', () => {
    const values = serverDynamicConfig();
    assert.equal(values['system.enableActivityEagerExecution'], true);
    const args = serverTuningArgs({ persistent: false });
    for (const [key, value] of Object.entries(values)) assert.ok(args.includes(`${key}=${JSON.stringify(value)}`), key);
  });
});

describe('cluster configuration', () => {
  it('finds the cause in a Temporal tool\'s failing output', () => {
    const output = [
      '2026-11-26T16:56:11.933Z\t\x1b[31mERROR\x1b[0m\tsql handle: unable to refresh database connection pool\t{"error": "unable to connect to DB, errors: [pq: password authentication failed for user \\"temporal\\"]", "logging-call-at": "x.go:1"}',
      '2026-11-26T16:56:11.934Z\t\x1b[31mERROR\x1b[0m\tUnable to create SQL database.\t{"error": "no usable database connection found"}',
    ];
    assert.equal(firstError(output), 'sql handle: unable to refresh database connection pool unable to connect to DB, errors: [pq: password authentication failed for user "temporal"]');
    assert.equal(firstError(['setup: namespace default could not be created']), 'setup: namespace default could not be created');
    const fatal = JSON.stringify({ level: 'fatal', msg: 'Failed to start gRPC listener', error: 'listen tcp 127.0.0.1:7233: bind: address already in use', stacktrace: 'go.temporal.io/...\n...' });
    assert.equal(serverLogCause(fatal), 'Failed to start gRPC listener: listen tcp 127.0.0.1:7233: bind: address already in use');
  });

  it('reads CONVEYOR_POSTGRES_URL, and names a bad one in one line without its password', () => {
    const config = loadConfig({ CONVEYOR_POSTGRES_URL: 'postgresql://temporal:s%40cret@db.internal:6543' });
    assert.deepEqual(config.postgres, { host: 'db.internal', port: 6543, user: 'temporal', password: 's@cret' });
    assert.equal(loadConfig({}).postgres, undefined);
    for (const bad of ['mysql://temporal:hunter2@db:3306', 'postgres://:hunter2@db:5432', 'db:5432', 'temporal:hunter2@db:5432', 'postgres:/temporal:hunter2@db:5432', 'hunter2']) {
      assert.throws(
        () => loadConfig({ CONVEYOR_POSTGRES_URL: bad }),
        (err: Error) => err instanceof ConfigError && /^invalid CONVEYOR_POSTGRES_URL=.*expected postgres:\/\//.test(err.message) && !err.message.includes('hunter2') && !err.message.includes('\n'),
        bad,
      );
    }
  });
});

describe('npm ci', () => {
  it('every installed package with an install script is declared in package.json allowScripts (no warning on a fresh clone)', () => {
    const allow = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
    assert.ok(withScripts.length > 0, 'package-lock.json records install scripts');
    assert.deepEqual(withScripts.filter((name) => !(name in allow)), [], 'not covered by allowScripts');
  });
});
