import net from 'node:net';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A loopback port that is free now (the caller binds it a moment later). With `below`, one under that
 * bound: Temporal stores membership ports as a PostgreSQL smallint, so they must be below 32768,
 * where the OS never picks ephemeral ports.
 */
export async function freePort(options: { below?: number } = {}): Promise<number> {
  if (options.below === undefined) return (await tryListen(0))!;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const candidate = 10_000 + Math.floor(Math.random() * (options.below - 10_000));
    const port = await tryListen(candidate);
    if (port !== undefined) return port;
  }
  throw new Error(`no free port below ${options.below}`);
}
