/**
 * How a Conveyor process ends on an error, written once for the `conveyor` command, the worker and
 * the dev stack's scripts: bad input or configuration is one line and exit 2, an operational
 * condition (a server or store that does not answer) one line and exit 1, anything else is a bug
 * and keeps its stack (exit 1). See common/errors.ts for the two kinds.
 */
import { oneLineFailure } from '../common/errors';

/** Print what `err` means for a user, prefixed by `command`; the exit code it calls for. */
export function reportFailure(command: string, err: unknown): number {
  const failure = oneLineFailure(err);
  if (failure) {
    console.error(`${command}: ${failure.line}`);
    return failure.exitCode;
  }
  console.error(`${command}: unexpected error (this is a bug):`, err);
  return 1;
}

/** Run a script's `main` and exit with its code, or as {@link reportFailure} says. */
export function runMain(command: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err: unknown) => process.exit(reportFailure(command, err)),
  );
}
