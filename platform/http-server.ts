/** Serving a hono app (the dashboard, the codec endpoint): resolves once it listens; a busy port is a one-line error. */
import { serve, type ServerType } from '@hono/node-server';
import { Unavailable } from '../common/errors';

export class PortUnavailable extends Unavailable {
  override name = 'PortUnavailable';
}

export interface RunningHttpServer {
  url: string;
  close(): Promise<void>;
}

/** Listen on `host:port`; `portVariable` names the setting to change when the port is taken. */
export function serveApp(app: { fetch: (request: Request) => Response | Promise<Response> }, options: { port: number; host: string; portVariable: string }): Promise<RunningHttpServer> {
  const { port, host } = options;
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new PortUnavailable(err.code === 'EADDRINUSE' ? `port ${port} is in use: set ${options.portVariable} to a free one` : `cannot serve on ${host}:${port} (${err.code ?? err.message})`));
    server = serve({ fetch: app.fetch, port, hostname: host }, () => {
      server.off('error', onError);
      resolve({
        url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    server.once('error', onError);
  });
}
