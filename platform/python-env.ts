/** The project's Python environment (`npm run python-env` makes it): where it is and what it installs. */
import path from 'node:path';
import { PROJECT_ROOT } from './config';

export const PYTHON_ENV_DIR = path.join(PROJECT_ROOT, '.tools', 'python');
/** An executable the environment installs (`python`, `dbt`, `conveyor-python-worker`). */
export const pythonEnvBin = (name: string): string => path.join(PYTHON_ENV_DIR, 'bin', name);
