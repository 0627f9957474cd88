/**
 * Where the Temporal server is and whether it answers: the address, TLS and API key every connection
 * (the client's, a worker's) is made with, a check that a server answers, and a bounded wait for one.
 */
import { Connection } from '@temporalio/client';
import type { ConveyorConfig } from './config';
import { Unavailable } from '../common/errors';

/** Where a Temporal server is and how to reach it: address, TLS (mTLS) and API key. Both SDK connections take it. */
export interface TemporalTarget {
  address: string;
  tls?: NonNullable<ConveyorConfig['temporalSecurity']['tls']>;
  apiKey?: string;
}

export function temporalTarget(config: Pick<ConveyorConfig, 'temporalAddress' | 'temporalSecurity'>): TemporalTarget {
  return { address: config.temporalAddress, ...config.temporalSecurity };
}

const targetOf = (t: string | TemporalTarget): TemporalTarget => (typeof t === 'string' ? { address: t } : t);

export class ServerUnreachable extends Unavailable {
  override name = 'ServerUnreachable';
}

/** Connect, or close what was opened (a failed connection otherwise keeps retrying and the process alive). */
export async function connectOrClose(target: TemporalTarget, connectTimeout: '2 seconds' | '5 seconds'): Promise<Connection> {
  const connection = Connection.lazy({ ...target, connectTimeout });
  try {
    await connection.ensureConnected();
    return connection;
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}

/** True when a Temporal server answers at `address` (a real request, not just an open port). */
export async function isServerUp(target: string | TemporalTarget): Promise<boolean> {
  try {
    const connection = await connectOrClose(targetOf(target), '2 seconds');
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

export interface WaitOptions {
  timeoutMs: number;
  /** Called before each wait with the attempt number and the delay (for a log line). */
  onRetry?: (attempt: number, delayMs: number) => void;
  /** Gives up early, e.g. when the server process being waited for has exited. */
  abort?: () => Error | undefined;
}

/**
 * Wait until a server answers at `address`, retrying with capped backoff (a server that was just
 * started, or is restarting, needs a few seconds); a one-line {@link ServerUnreachable} at the deadline.
 */
export async function waitForServer(target: string | TemporalTarget, options: WaitOptions): Promise<void> {
  const { address } = targetOf(target);
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    const aborted = options.abort?.();
    if (aborted) throw aborted;
    if (await isServerUp(target)) return;
    if (Date.now() >= deadline) {
      throw new ServerUnreachable(`the Temporal server at ${address} did not answer within ${Math.round(options.timeoutMs / 1000)}s`);
    }
    const delayMs = Math.min(2_000, 250 * 2 ** Math.min(attempt - 1, 3));
    options.onRetry?.(attempt, delayMs);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}
