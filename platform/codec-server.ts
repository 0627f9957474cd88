/**
 * The codec endpoint (Temporal's remote codec protocol): `POST /decode` and `POST /encode`, each
 * taking and returning `{ "payloads": [...] }` in protobuf JSON (metadata values and data as base64).
 * The Temporal Web UI calls it from the browser to show encrypted payloads in clear, so it answers
 * CORS requests from the Web UI's origin only. It holds the keys: serve it where only operators reach it.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';

const jsonPayloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })),
});
type JsonPayload = z.infer<typeof jsonPayloads>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export function createCodecApp(codec: PayloadCodec, webUiOrigin: string): Hono {
  const app = new Hono();
  app.use('*', cors({ origin: webUiOrigin, allowMethods: ['POST', 'OPTIONS'], allowHeaders: ['content-type', 'x-namespace', 'authorization'], credentials: true }));
  // A history's payloads are small; refuse what is not one (Temporal's own limit is 2 MB a payload).
  app.use('*', bodyLimit({ maxSize: 8 * 1024 * 1024, onError: (c) => c.json({ error: 'request body over 8 MB' }, 413) }));
  for (const op of ['encode', 'decode'] as const) {
    app.post(`/${op}`, async (c) => {
      const parsed = jsonPayloads.safeParse(await c.req.json().catch(() => undefined));
      if (!parsed.success) return c.json({ error: 'expected a JSON body { "payloads": [{ "metadata": {...}, "data": "<base64>" }] }' }, 400);
      try {
        const payloads = await codec[op](parsed.data.payloads.map(fromJson));
        return c.json({ payloads: payloads.map(toJson) });
      } catch (err) {
        return c.json({ error: (err as Error).message.split('\n')[0] }, 400);
      }
    });
  }
  app.get('/healthz', (c) => c.text('ok'));
  return app;
}
