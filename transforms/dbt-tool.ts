/** Which dbt the `dbt` transform runs: CONVEYOR_DBT, else the project's (`npm run python-env`), else `dbt` on PATH. */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { pythonEnvBin } from '../platform/python-env';
import { onPath } from '../platform/which';

const PROJECT_DBT = pythonEnvBin('dbt');

/** The dbt executable, or undefined when none is installed. */
export function dbtExecutable(): string | undefined {
  const configured = loadConfig().dbt;
  if (configured) return fs.existsSync(configured) ? configured : onPath(configured);
  return fs.existsSync(PROJECT_DBT) ? PROJECT_DBT : onPath('dbt');
}

/** dbt's environment as Conveyor runs it: no usage statistics or version check (offline), no colours in its output. */
export const dbtEnv = (): NodeJS.ProcessEnv => ({ ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DBT_VERSION_CHECK: 'false', DBT_USE_COLORS: 'false' });

/** A `profiles.yml` with one profile, `name`, whose target `run` is dbt-duckdb on `database` with one thread. */
export function dbtProfile(name: string, database: string): string {
  return [`${name}:`, '  target: run', '  outputs:', '    run:', '      type: duckdb', `      path: ${JSON.stringify(database)}`, '      threads: 1', ''].join('\n');
}
