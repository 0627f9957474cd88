/**
 * The two kinds of error a user sees as one line, never as a stack trace (the exit policy of every
 * command and the worker decides by them, platform/exit.ts):
 * - {@link InputError}: a bad value from a user or caller (a flag, a key, a definition, the
 *   environment): exit code 2, before anything is started or written;
 * - {@link Failed}: an expected failure, exit code 1; above all {@link Unavailable}, something
 *   Conveyor needs that does not answer or is not there (a server, a bucket, a tool): an operational
 *   condition, not a bug, named with what to check.
 * Anything else that reaches a command is a bug and keeps its stack. Pure: safe for workflow code.
 */

/** A bad value from a user or caller: shown as one line, never as a stack trace. */
export class InputError extends Error {
  override name = 'InputError';
}

/** An expected failure (a query the engine refused, a run that failed): one line, exit 1. */
export class Failed extends Error {
  override name = 'Failed';
}

/** Something Conveyor needs does not answer or is not there: one line saying what, and what to check. */
export class Unavailable extends Failed {
  override name = 'Unavailable';
}

/**
 * The search attribute a server refused because its namespace does not define it (a server not
 * started by `npx conveyor server` nor set up as docker-compose.yml does), or undefined.
 */
export function missingSearchAttribute(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const name = /no mapping defined for search attribute (\w+)/.exec(e.message)?.[1];
    if (name) return name;
  }
  return undefined;
}

/**
 * How an error ends a command: the line to print and the exit code, or undefined for a bug (print
 * its stack). Bad input exits 2; an operational condition 1.
 */
export function oneLineFailure(err: unknown): { line: string; exitCode: 1 | 2 } | undefined {
  const attribute = missingSearchAttribute(err);
  if (attribute) {
    return {
      line: `the Temporal server's namespace has no search attribute ${attribute}: start the server with \`npx conveyor server\`, or register Conveyor's search attributes (docs/runbook.md)`,
      exitCode: 1,
    };
  }
  if (err instanceof InputError) return { line: err.message, exitCode: 2 };
  if (err instanceof Failed) return { line: err.message, exitCode: 1 };
  return undefined;
}
