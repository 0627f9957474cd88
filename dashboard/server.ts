/**
 * The dashboard's web server (hono on Node's http): `GET /` the page, `GET /api/status` the same
 * report as `npx conveyor status --json`, `GET /healthz`. Read-only. It keeps one Temporal client to ask
 * what is running; while the server is down the page still shows the lake and says what it cannot.
 */
import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { z } from 'zod';
import { connectClient } from '../client/connect';
import { statusReport } from '../client/status';
import type { ConveyorConfig } from '../platform/config';
import type { PipelineRegistry } from '../definitions/registry';
import { dashboardPage } from './page';
import { serveApp, type RunningHttpServer } from '../platform/http-server';

const daysSchema = z.coerce.number().int().min(7).max(366);
const RECONNECT_MS = 15_000;

export interface DashboardOptions {
  config: Pick<ConveyorConfig, 'lakeDir' | 'lakeUrl' | 'webUiUrl' | 'namespace' | 'temporalAddress' | 'temporalSecurity' | 'codecKeys'>;
  registry: PipelineRegistry;
  /** Days of the calendar (default 28). */
  days?: number;
}

/** A Temporal client that reconnects lazily, at most every 15 s, when the server was not reachable. */
function lazyClient(config: DashboardOptions['config']) {
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;
  let failure: { at: number; reason: string } | undefined;
  return {
    async get(): Promise<{ client?: Client; reason?: string }> {
      if (client) return { client };
      if (failure && Date.now() - failure.at < RECONNECT_MS) return { reason: failure.reason };
      // Requests that arrive while connecting share the one attempt.
      connecting ??= connectClient(config);
      try {
        client = await connecting;
        failure = undefined;
        return { client };
      } catch (err) {
        failure = { at: Date.now(), reason: (err as Error).message };
        return { reason: failure.reason };
      } finally {
        connecting = undefined;
      }
    },
    async close() {
      await client?.connection.close();
    },
  };
}

export function createDashboardApp(options: DashboardOptions) {
  const temporal = lazyClient(options.config);
  const app = new Hono();
  const report = async (daysParam: string | undefined) => {
    const parsed = daysSchema.safeParse(daysParam ?? options.days ?? 28);
    if (!parsed.success) return { error: `invalid days ${JSON.stringify(daysParam)}: expected a whole number from 7 to 366` };
    const { client, reason } = await temporal.get();
    return { report: await statusReport(options.config, options.registry, { client, serverUnavailable: reason, days: parsed.data }) };
  };
  app.get('/', async (c) => {
    const r = await report(c.req.query('days'));
    if (r.error) return c.text(r.error, 400);
    return c.html(dashboardPage(r.report!));
  });
  app.get('/api/status', async (c) => {
    const r = await report(c.req.query('days'));
    if (r.error) return c.json({ error: r.error }, 400);
    return c.json(r.report!);
  });
  app.get('/healthz', (c) => c.text('ok'));
  app.onError((err, c) => c.text(`dashboard error: ${err.message.split('\n')[0]}`, 500));
  return { app, close: () => temporal.close() };
}

export type RunningDashboard = RunningHttpServer;

/** Serve the dashboard on `host:port`; resolves once it listens (a port in use is a one-line error). */
export async function startDashboard(options: DashboardOptions & { port: number; host?: string }): Promise<RunningDashboard> {
  const { app, close } = createDashboardApp(options);
  try {
    const server = await serveApp(app, { port: options.port, host: options.host ?? '127.0.0.1', portVariable: 'CONVEYOR_DASHBOARD_PORT' });
    return { url: server.url, close: async () => (await server.close(), await close()) };
  } catch (err) {
    await close();
    throw err;
  }
}
