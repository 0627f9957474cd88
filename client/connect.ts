/** The typed Temporal client every command and service uses: connected to the configured server, with its payload codec. */
import { Client, type Connection } from '@temporalio/client';
import type { ConveyorConfig } from '../platform/config';
import { dataConverterOf } from '../platform/payload-codec';
import { connectOrClose, ServerUnreachable, temporalTarget } from '../platform/temporal';

export { isServerUp, ServerUnreachable, temporalTarget, waitForServer, type TemporalTarget } from '../platform/temporal';

const firstLine = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

/** Connect to Temporal; an unreachable server is a one-line error saying how to start one. */
export async function connectClient(config: Pick<ConveyorConfig, 'temporalAddress' | 'namespace' | 'temporalSecurity' | 'codecKeys'>): Promise<Client> {
  const target = temporalTarget(config);
  let connection: Connection | undefined;
  try {
    connection = await connectOrClose(target, '5 seconds');
  } catch (err) {
    const remote = target.tls !== undefined || target.apiKey !== undefined;
    throw new ServerUnreachable(
      `cannot reach the Temporal server at ${config.temporalAddress} (${firstLine(err)}); ` +
        (remote ? 'check TEMPORAL_ADDRESS, the TEMPORAL_TLS_* certificates and TEMPORAL_API_KEY' : 'start one with `npx conveyor server`'),
    );
  }
  const dataConverter = dataConverterOf(config);
  return new Client({ connection, namespace: config.namespace, ...(dataConverter ? { dataConverter } : {}) });
}

