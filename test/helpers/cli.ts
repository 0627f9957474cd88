/** Run one of Conveyor's CLIs (scripts/<script>) as a user would, in its own process; its outcome and output. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export function runCli(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000) {
  const ran = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: timeoutMs });
  return { ...ran, all: `${ran.stdout}${ran.stderr}` };
}
