/**
 * Commands that are a front for processes of their own (a worker, the Python worker): run them with
 * the terminal's output, pass Ctrl-C and SIGTERM on (each stops gracefully), and end when they end.
 */
import { spawn } from 'node:child_process';
import { signalExitCode } from './signals';

export interface ChildSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Run the children together, passing SIGINT and SIGTERM on to each; when one ends by itself, the others
 * are asked to stop (SIGTERM; not again when they are stopping already: a second signal forces a worker
 * out). Resolves with the first non-zero exit code, else 0.
 */
export function runChildren(specs: ChildSpec[]): Promise<number> {
  const children = specs.map((s) => spawn(s.command, s.args, { stdio: 'inherit', env: s.env ?? process.env }));
  let stopping = false;
  const forward = (signal: NodeJS.Signals) => () => {
    stopping = true;
    children.forEach((c) => c.exitCode === null && c.kill(signal));
  };
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const exits = children.map(
    (child) =>
      new Promise<number>((resolve) => {
        child.on('error', () => resolve(127));
        child.on('exit', (code, signal) => {
          if (!stopping) {
            stopping = true;
            for (const other of children) if (other !== child && other.exitCode === null && other.signalCode === null) other.kill('SIGTERM');
          }
          resolve(code ?? (signal ? signalExitCode(signal) : 1));
        });
      }),
  );
  return Promise.all(exits).then((codes) => {
    for (const [s, handler] of handlers) process.off(s, handler);
    return codes.find((c) => c !== 0) ?? 0;
  });
}

/** Run one child (see {@link runChildren}). */
export const runChild = (spec: ChildSpec): Promise<number> => runChildren([spec]);
