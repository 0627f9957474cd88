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
 * A loopback port that is free now, for a server started a moment later. Picked below the OS's
 * ephemeral range (32768 and up on Linux), so no outgoing connection takes it in the meantime; and
 * Temporal stores membership ports as a PostgreSQL smallint, which needs them below 32768 anyway.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = await tryListen(10_000 + Math.floor(Math.random() * 22_768));
    if (port !== undefined) return port;
  }
  throw new Error('no free port between 10000 and 32767');
}

/** Whether `port` on loopback is free now. */
export async function portIsFree(port: number): Promise<boolean> {
  return (await tryListen(port)) !== undefined;
}
