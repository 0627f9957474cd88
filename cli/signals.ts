/** Long-running commands (servers, the dashboard, a worker) run until Ctrl-C or SIGTERM. */
import os from 'node:os';

/** Resolves with the first SIGINT or SIGTERM; later ones are ignored while the command stops. */
export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (seen) return;
        seen = true;
        resolve(signal);
      });
    }
  });
}

/** The exit code of a process stopped by a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM). */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + (os.constants.signals[signal] ?? 0);
