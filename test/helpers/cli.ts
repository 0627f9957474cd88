/** Run `conveyor <command>` as a user would (`npx conveyor`, cli/bin.js), in its own process; its outcome and output. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
/** The `conveyor` command (package.json "bin"). */
export const CONVEYOR_BIN = path.join(ROOT, 'cli', 'bin.js');

/** node's arguments for `conveyor <command> <args>`. */
export const conveyorArgv = (command: string, args: string[] = []): string[] => [CONVEYOR_BIN, ...command.split(' '), ...args];

export function runCli(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000) {
  const ran = spawnSync(process.execPath, conveyorArgv(command, args), { cwd: ROOT, env, encoding: 'utf8', timeout: timeoutMs });
  return { ...ran, all: `${ran.stdout}${ran.stderr}` };
}
