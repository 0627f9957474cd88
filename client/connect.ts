import { Client, Connection } from '@temporalio/client';
import type { ConveyorConfig } from '../common/config';

export class ServerUnreachable extends Error {
  override name = 'ServerUnreachable';
}

/** Connect to Temporal; an unreachable server is a one-line error saying how to start one. */
export async function connectClient(config: Pick<ConveyorConfig, 'temporalAddress' | 'namespace'>): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: '5 seconds' });
    return new Client({ connection, namespace: config.namespace });
  } catch (err) {
    throw new ServerUnreachable(
      `cannot reach the Temporal server at ${config.temporalAddress} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); start one with \`npm run server\``,
    );
  }
}
