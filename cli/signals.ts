/**
 * Long-running commands (servers, the dashboard, the codec endpoint) run until Ctrl-C or SIGTERM.
 * While one is still starting, a signal ends the process at once (what it started dies with it); once
 * it runs, the first signal asks it to stop, and a second one ends the process at once, or is ignored
 * by a command that must finish stopping (the cluster stops PostgreSQL).
 */
import os from 'node:os';

/** The exit code of a process stopped by a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM). */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + (os.constants.signals[signal] ?? 0);

export interface Stopping {
  /** Resolves with the first SIGINT or SIGTERM after {@link Stopping.started}. */
  stopped: Promise<NodeJS.Signals>;
  /** The command is up: from now on a signal asks it to stop instead of ending the process. */
  started(): void;
}

export function untilStopped(options: { whileStarting?: (signal: NodeJS.Signals) => void; secondSignal?: 'exit' | 'ignore' } = {}): Stopping {
  let up = false;
  let asked = false;
  let resolve!: (signal: NodeJS.Signals) => void;
  const stopped = new Promise<NodeJS.Signals>((r) => (resolve = r));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (!up) options.whileStarting?.(signal);
      if (!up || (asked && options.secondSignal !== 'ignore')) process.exit(signalExitCode(signal));
      if (asked) return;
      asked = true;
      resolve(signal);
    });
  }
  return { stopped, started: () => (up = true) };
}
