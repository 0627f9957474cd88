/**
 * Which of the four failure classes an error thrown inside a step is: the one place that decides, so a
 * step's retry behaviour is never an accident. Pure (errors are matched by name, code, status and
 * message, so this module loads neither DuckDB nor the AWS SDK).
 */
import type { FailureClass } from './failure-classes';

/** An HTTP answer that is not a success: thrown by a source function, classed by its status. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Rows that are not what they should be (a bad page): a `data` failure, not retried. */
export class SourceDataError extends Error {
  override name = 'SourceDataError';
}

/** A passing fault of a server: 5xx, or 429 (too many requests). Another 4xx is the caller's bug. */
export const isTransientHttpStatus = (status: number): boolean => status >= 500 || status === 429;

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

export function classOfError(err: unknown): FailureClass {
  if (!(err instanceof Error)) return 'code';
  const { code } = err as { code?: unknown };
  if (typeof code === 'string' && NODE_TRANSIENT_CODES.has(code)) return 'transient';
  if (STORE_TRANSIENT_ERRORS.has(err.name)) return 'transient';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && isTransientHttpStatus(status)) return 'transient';
  if (typeof code === 'string' && NODE_DEPENDENCY_CODES.has(code)) return 'dependency';
  if (DUCKDB_TRANSIENT_ERRORS.test(err.message)) return 'transient';
  if (DUCKDB_DATA_ERRORS.test(err.message)) return 'data';
  if (DUCKDB_CODE_ERRORS.test(err.message)) return 'code';
  // Unknown errors are bugs until proven otherwise: retrying them hides problems.
  return 'code';
}

/**
 * An error thrown by a pipeline's source function (its own code calling an API): an `HttpError` by its
 * status, a `SourceDataError` or a page that is not JSON is data, a network error transient; anything
 * else as any step's error.
 */
export function classOfSourceError(err: unknown): FailureClass {
  if (err instanceof HttpError) return isTransientHttpStatus(err.status) ? 'transient' : 'code';
  if (err instanceof SourceDataError || err instanceof SyntaxError) return 'data';
  if (err instanceof Error && (err.name === 'AbortError' || /fetch failed|ECONNRE|ETIMEDOUT|socket/i.test(`${err.message} ${String((err as { cause?: unknown }).cause)}`))) return 'transient';
  return classOfError(err);
}
