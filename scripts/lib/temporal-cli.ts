/**
 * Finds an official Temporal CLI binary (which bundles the dev server), or builds one.
 *
 * Order: 1. TEMPORAL_CLI_PATH; 2. `temporal` on PATH; 3. the project-local build in `.tools/`;
 * 4. `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` into `.tools/`; 5. the SDK's own
 * download (needs general internet). v1.5.1 is the newest release whose go.mod has no `replace`
 * directive, so it builds through the Go module proxy. It bundles server 1.29, SQLite and the Web UI.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../common/config';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const LOCAL_CLI_DIR = path.join(PROJECT_ROOT, '.tools', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
export const LOCAL_CLI_PATH = path.join(LOCAL_CLI_DIR, 'temporal');
const MIN_GO = [1, 25] as const;

export type TemporalCli =
  | { kind: 'path'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'project cache' | 'go build' }
  | { kind: 'sdk-download' };

export class TemporalCliNotFound extends Error {
  override name = 'TemporalCliNotFound';
}

type Progress = (line: string) => void;

/** A usable binary answers `--version` with the CLI's banner. */
function isTemporalCli(candidate: string): boolean {
  const result = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 && /temporal version/i.test(result.stdout);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
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

function goVersion(): [number, number] | undefined {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  const match = /go(\d+)\.(\d+)/.exec(result.stdout ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function runGoInstall(extraArgs: string[], progress: Progress): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    fs.mkdirSync(LOCAL_CLI_DIR, { recursive: true });
    const args = ['install', '-v', ...extraArgs, `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`];
    const child = spawn('go', args, {
      env: { ...process.env, GOBIN: LOCAL_CLI_DIR, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let packages = 0;
    const started = Date.now();
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-20_000);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        if (line.startsWith('go: downloading')) progress(`  ${line.trim()}`);
        else packages += 1;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const ticker = setInterval(() => {
      progress(`  ... still building (${Math.round((Date.now() - started) / 1000)}s, ${packages} packages compiled)`);
    }, 15_000);
    child.on('close', (code) => {
      clearInterval(ticker);
      resolve({ ok: code === 0, output });
    });
    child.on('error', (err) => {
      clearInterval(ticker);
      resolve({ ok: false, output: String(err) });
    });
  });
}

/** Build the CLI with Go into the project cache. Retries once without linkname checks for newer Go linkers. */
export async function buildTemporalCli(progress: Progress): Promise<string | undefined> {
  const version = goVersion();
  if (!version) {
    progress('Go is not installed; cannot build the Temporal CLI.');
    return undefined;
  }
  if (version[0] < MIN_GO[0] || (version[0] === MIN_GO[0] && version[1] < MIN_GO[1])) {
    progress(`Go ${version.join('.')} is too old to build the Temporal CLI ${TEMPORAL_CLI_VERSION} (needs Go >= ${MIN_GO.join('.')}).`);
    return undefined;
  }
  progress(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go ${version.join('.')} into ${path.relative(PROJECT_ROOT, LOCAL_CLI_DIR)}/ ` +
      '(first time only; takes 3-10 minutes)...',
  );
  let attempt = await runGoInstall([], progress);
  if (!attempt.ok && /invalid reference|linkname/i.test(attempt.output)) {
    progress('  Go linker refused a //go:linkname; retrying with -ldflags=-checklinkname=0 ...');
    attempt = await runGoInstall(['-ldflags=-checklinkname=0'], progress);
  }
  if (!attempt.ok) {
    progress(`  go install failed:\n${attempt.output.split('\n').slice(-15).join('\n')}`);
    return undefined;
  }
  return isTemporalCli(LOCAL_CLI_PATH) ? LOCAL_CLI_PATH : undefined;
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
