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
