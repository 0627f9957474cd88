/**
 * A remote Temporal behind TLS, as Temporal Cloud or a hardened server is reached: a real dev server
 * behind an mTLS-terminating proxy (test certificates from openssl). A worker process and the client
 * configured only by the Temporal CLI's variables (TEMPORAL_TLS_*) run a partition through it; without
 * a client certificate a CLI fails in one line within seconds; an API key is sent as a bearer token
 * and never shown.
 */
import { conveyorArgv } from './helpers/cli';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectClient, ServerUnreachable } from '../client/connect';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { ConfigError, loadConfig } from '../platform/config';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { startTestServer } from './helpers/harness';
import { makeCertificates, startTlsProxy, type TestCertificates } from './helpers/tls';
import { startedWorkers, startWorkerProcess, stopWorkerProcess } from './helpers/worker-process';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { deploymentRegistry } from '../definitions/registry';

const ROOT = path.resolve(__dirname, '..');
let env: TestWorkflowEnvironment;
let dir: string;
let certs: TestCertificates;
let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
let tlsEnv: NodeJS.ProcessEnv;

before(async () => {
  env = await startTestServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-tls-'));
  certs = makeCertificates(path.join(dir, 'certs'));
  const [host, port] = env.address.split(':') as [string, string];
  proxy = await startTlsProxy(certs, { host, port: Number(port) });
  tlsEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: `localhost:${proxy.port}`,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    CONVEYOR_DATA_DIR: path.join(dir, 'data'),
    CONVEYOR_TASK_QUEUE: `test-daily-${randomUUID()}`,
    CONVEYOR_BACKFILL_TASK_QUEUE: `test-backfill-${randomUUID()}`,
  };
}, START_HOOK_OPTIONS);
after(async () => {
  for (const w of startedWorkers) w.kill('SIGKILL');
  proxy?.close();
  await env?.teardown();
  fs.rmSync(dir, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

describe('a remote Temporal behind TLS', () => {
  it('a worker process and the client with mTLS run a partition through it', async () => {
    const config = loadConfig(tlsEnv);
    assert.ok(config.temporalSecurity.tls?.clientCertPair, 'mTLS configured from the environment');
    const worker = await startWorkerProcess({ name: 'tls', queues: 'daily', env: tlsEnv, logDir: dir });
    const client = await connectClient(config);
    try {
      generateOrdersPartition({ landingDir: config.landingDir, partition: '2024-03-01', rows: 200, files: 1 });
      const outcome = await waitForPartitionRun(await startPartitionRun(client, { pipeline: 'orders', partition: '2024-03-01', runKind: 'manual' }, { config, registry: deploymentRegistry() }));
      assert.equal(outcome.status, 'succeeded');
      assert.equal(outcome.status === 'succeeded' && outcome.result.rows.published, 200);
    } finally {
      await client.connection.close();
      await stopWorkerProcess(worker);
    }
  });

  it('without a client certificate, a CLI fails in one line within seconds', () => {
    const started = Date.now();
    const { TEMPORAL_TLS_CLIENT_CERT_PATH: _c, TEMPORAL_TLS_CLIENT_KEY_PATH: _k, ...withoutClientCert } = tlsEnv;
    const result = spawnSync(process.execPath, conveyorArgv('schedules', ['list']), { cwd: ROOT, env: withoutClientCert, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr.trim(), /^conveyor schedules: cannot reach the Temporal server at localhost:\d+ \(.*\)/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  });

  it('an API key is sent as a bearer token over TLS, and never shown in an error', async () => {
    const seen: string[] = [];
    const sessions = new Set<http2.ServerHttp2Session>();
    const server = http2.createSecureServer({ key: fs.readFileSync(certs.serverKey), cert: fs.readFileSync(certs.serverCert) }, (req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'unauthenticated' });
      res.end();
    });
    server.on('session', (s) => sessions.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const key = `secret-api-key-${randomUUID()}`;
    try {
      const config = loadConfig({
        TEMPORAL_ADDRESS: `localhost:${(server.address() as AddressInfo).port}`,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
        TEMPORAL_API_KEY: key,
      });
      const refused = await connectClient(config).then(
        () => undefined,
        (err: Error) => err,
      );
      assert.ok(refused instanceof ServerUnreachable, 'a server that refuses the key: one-line error');
      assert.ok(!refused.message.includes(key), 'the key is not in the error');
      assert.match(refused.message, /check TEMPORAL_ADDRESS, the TEMPORAL_TLS_\* certificates and TEMPORAL_API_KEY$/);
      assert.ok(seen.includes(`Bearer ${key}`), `authorization headers seen: ${JSON.stringify(seen.map((s) => s.slice(0, 12)))}`);
    } finally {
      for (const session of sessions) session.destroy();
      server.close();
    }
  });

  it('refuses bad TLS settings in one line, never showing an API key', () => {
    assert.throws(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert }), /^ConfigError: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together/);
    assert.throws(() => loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nowhere/ca.pem' }), /^ConfigError: invalid TEMPORAL_TLS_SERVER_CA_CERT_PATH="\/nowhere\/ca\.pem": cannot read it \(ENOENT\)$/);
    assert.throws(() => loadConfig({ TEMPORAL_TLS: 'yes' }), /^ConfigError: invalid TEMPORAL_TLS="yes": expected true or false$/);
    assert.throws(() => loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'maybe' }), (err: Error) => err instanceof ConfigError);
    assert.equal(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporalSecurity.tls !== undefined, true, 'an API key implies TLS');
    assert.equal(loadConfig({}).temporalSecurity.tls, undefined, 'a local server: no TLS');
  });
});
