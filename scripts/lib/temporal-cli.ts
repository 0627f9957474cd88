/**
 * Finds an official Temporal CLI binary (which bundles the dev server), or builds one.
 *
 * Order: 1. TEMPORAL_CLI_PATH; 2. `temporal` on PATH; 3. the project-local build in `.tools/`;
 * 4. `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` into `.tools/`; 5. the SDK's own
 * download (needs general internet). v1.5.1 is the newest release whose go.mod has no `replace`
 * directive, so it builds through the Go module proxy. It bundles server 1.29, SQLite and the Web UI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { goInstall, TOOLS_DIR, type Progress } from './go-build';
import { onPath } from '../../platform/which';
import { Unavailable } from '../../common/errors';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const LOCAL_CLI_DIR = path.join(TOOLS_DIR, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
export const LOCAL_CLI_PATH = path.join(LOCAL_CLI_DIR, 'temporal');

export type TemporalCli =
  | { kind: 'path'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'project cache' | 'go build' }
  | { kind: 'sdk-download' };

export class TemporalCliNotFound extends Unavailable {
  override name = 'TemporalCliNotFound';
}

/** A usable binary answers `--version` with the CLI's banner. */
function isTemporalCli(candidate: string): boolean {
  const result = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 && /temporal version/i.test(result.stdout);
}

/** Find without building: what tests and the server use when the CLI is already there. */
export function findTemporalCli(): TemporalCli | undefined {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isTemporalCli(fromEnv)) {
      throw new TemporalCliNotFound(`TEMPORAL_CLI_PATH=${fromEnv} is not a working Temporal CLI (expected \`${fromEnv} --version\` to print "temporal version")`);
    }
    return { kind: 'path', path: fromEnv, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal');
  if (fromPath && isTemporalCli(fromPath)) return { kind: 'path', path: fromPath, source: 'PATH' };
  if (fs.existsSync(LOCAL_CLI_PATH) && isTemporalCli(LOCAL_CLI_PATH)) {
    return { kind: 'path', path: LOCAL_CLI_PATH, source: 'project cache' };
  }
  return undefined;
}

/** Build the CLI with Go into the project cache. */
export async function buildTemporalCli(progress: Progress): Promise<string | undefined> {
  const built = await goInstall({
    what: `the Temporal CLI ${TEMPORAL_CLI_VERSION}`,
    packages: [`${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`],
    gobin: LOCAL_CLI_DIR,
    progress,
  });
  return built && isTemporalCli(LOCAL_CLI_PATH) ? LOCAL_CLI_PATH : undefined;
}

/** Find or build; with `allowSdkDownload`, fall back to the SDK's download instead of failing. */
export async function ensureTemporalCli(options: { progress: Progress; allowSdkDownload: boolean }): Promise<TemporalCli> {
  const found = findTemporalCli();
  if (found) return found;
  const built = await buildTemporalCli(options.progress);
  if (built) return { kind: 'path', path: built, source: 'go build' };
  if (options.allowSdkDownload) {
    options.progress('Falling back to the Temporal SDK downloading the dev server (needs internet access).');
    return { kind: 'sdk-download' };
  }
  throw new TemporalCliNotFound(
    'no Temporal CLI found: install Go >= 1.25 (then rerun; the project builds it) or the Temporal CLI ' +
      '(https://docs.temporal.io/cli), or set TEMPORAL_CLI_PATH to its binary',
  );
}
