/**
 * Turns any error thrown inside a step into a classified `ApplicationFailure`, so its retry
 * behaviour is decided here, in one place, and never by accident.
 */
import { ApplicationFailure } from '@temporalio/common';
import { classifiedFailure, type FailureClass } from '../common/failure-classes';
import type { StepContext } from './step-context';

// DuckDB prefixes its messages with the error kind ("Parser Error: ...").
const DUCKDB_CODE_ERRORS = /^(Parser|Binder|Catalog|Not implemented|Dependency|Internal|Permission) Error/;
// "Invalid Input": what DuckDB's readers say of bytes they cannot parse (a binary file as CSV, a line
// its state machine cannot follow, bad UTF-8 in a JSON file): the data's fault, not the code's.
const DUCKDB_DATA_ERRORS = /^(Conversion|Constraint|Out of Range|Invalid Input) Error/;
const DUCKDB_TRANSIENT_ERRORS = /^(IO|Interrupt|Out of Memory) Error|^TransactionContext Error|[Cc]onflict|[Cc]ould not set lock/;

// A full disk or a lake root that is read-only or not permitted is an infrastructure fault an operator
// can fix while the step retries.
const NODE_TRANSIENT_CODES = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'EIO', 'ETIMEDOUT', 'ECONNRESET', 'ENOSPC', 'EROFS', 'EACCES', 'EPERM']);
const NODE_DEPENDENCY_CODES = new Set(['ENOENT']);

// An object store (lake/object-store.ts) that does not answer, refuses the credentials or lacks the
// bucket: like a lake root that is not permitted, an operator can fix it while the step retries. An S3
// answer of 5xx or 429 (after the AWS SDK's own retries) is a passing fault of the store. Matched by
// name and status, so this module does not load the AWS SDK.
const STORE_TRANSIENT_ERRORS = new Set(['ObjectStoreUnavailable']);
const isTransientHttpStatus = (status: number | undefined) => status !== undefined && (status >= 500 || status === 429);

export function classOfError(err: unknown): FailureClass {
  if (!(err instanceof Error)) return 'code';
  const code = (err as NodeJS.ErrnoException).code;
  if (code && NODE_TRANSIENT_CODES.has(code)) return 'transient';
  if (STORE_TRANSIENT_ERRORS.has(err.name)) return 'transient';
  if (isTransientHttpStatus((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode)) return 'transient';
  if (code && NODE_DEPENDENCY_CODES.has(code)) return 'dependency';
  if (DUCKDB_TRANSIENT_ERRORS.test(err.message)) return 'transient';
  if (DUCKDB_DATA_ERRORS.test(err.message)) return 'data';
  if (DUCKDB_CODE_ERRORS.test(err.message)) return 'code';
  // Unknown errors are bugs until proven otherwise: retrying them hides problems.
  return 'code';
}

/** Run a step body; failures leave it classified, logged once, with the attempt number attached. */
export async function runClassified<T>(ctx: StepContext, body: () => Promise<T>): Promise<T> {
  const heartbeats = ctx.startHeartbeats();
  ctx.log.info(`${ctx.step} started`);
  try {
    const result = await body();
    ctx.log.info({ durationMs: ctx.elapsedMs(), result }, `${ctx.step} succeeded`);
    return result;
  } catch (err) {
    const failure = err instanceof ApplicationFailure ? err : wrap(ctx, err);
    ctx.log.warn(
      { failureType: failure.type, nonRetryable: failure.nonRetryable, durationMs: ctx.elapsedMs(), err: failure.message },
      `${ctx.step} failed`,
    );
    throw failure;
  } finally {
    heartbeats.stop();
  }
}

function wrap(ctx: StepContext, err: unknown): ApplicationFailure {
  const failureClass = classOfError(err);
  const message = firstLine(err instanceof Error ? err.message : String(err));
  return classifiedFailure(failureClass, {
    step: ctx.step,
    message,
    details: { attempt: ctx.attempt },
    cause: err instanceof Error ? err : undefined,
  });
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
