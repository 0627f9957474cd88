/**
 * `npm run python-env`: a Python virtual environment of the project's own (`.tools/python`) with the
 * packages of docs/examples/python/requirements.txt (the Temporal Python SDK, for the example a service
 * in Python follows and the test that runs it), transforms/requirements.txt (dbt-core and
 * dbt-duckdb, for the `dbt` transform) and Conveyor's Python worker (`python/`, for the `python`
 * transform, with PySpark for the `spark` transform). Installed once; again only when the requirements change.
 * Prints the interpreter's path (nothing with `--quiet`).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Unavailable } from '../common/errors';
import { runMain } from '../platform/exit';
import { PYTHON_ENV_DIR, pythonEnvBin } from '../platform/python-env';

const ROOT = path.resolve(__dirname, '..');
export { PYTHON_ENV_DIR };
export const PYTHON = pythonEnvBin('python');
const REQUIREMENTS = [path.join(ROOT, 'docs', 'examples', 'python', 'requirements.txt'), path.join(ROOT, 'transforms', 'requirements.txt')];
/** Conveyor's Python worker (`python/`), installed editable: its code is run from the checkout. */
const PYTHON_PACKAGE = path.join(ROOT, 'python');
const STAMP = path.join(PYTHON_ENV_DIR, '.requirements.sha256');

/** The environment could not be made: one line, exit 1. */
class PythonEnvUnavailable extends Unavailable {
  override name = 'PythonEnvUnavailable';
}

function run(command: string, args: string[]): void {
  const done = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (done.status !== 0) {
    throw new PythonEnvUnavailable(`the Python environment: ${command} ${args.join(' ')} failed (${done.error?.message ?? `exit ${done.status}`}); it needs python3 with venv (Debian's python3-venv)`);
  }
}

export function ensurePythonEnv(): string {
  const hash = createHash('sha256');
  for (const file of [...REQUIREMENTS, path.join(PYTHON_PACKAGE, 'pyproject.toml')]) hash.update(fs.readFileSync(file));
  const wanted = hash.digest('hex');
  if (fs.existsSync(PYTHON) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === wanted) return PYTHON;
  console.error(`installing ${REQUIREMENTS.map((f) => path.relative(ROOT, f)).join(' and ')} into ${path.relative(ROOT, PYTHON_ENV_DIR)} (a minute or two, once) ...`);
  if (!fs.existsSync(PYTHON)) run('python3', ['-m', 'venv', PYTHON_ENV_DIR]);
  run(PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...REQUIREMENTS.flatMap((file) => ['-r', file]), '-e', `${PYTHON_PACKAGE}[spark]`]);
  fs.writeFileSync(STAMP, wanted);
  return PYTHON;
}

if (require.main === module) {
  runMain('conveyor python-env', async () => {
    const python = ensurePythonEnv();
    if (!process.argv.includes('--quiet')) console.log(python);
  });
}
