/**
 * Builds Go programs from the Go module proxy into the project's `.tools/` cache, with progress: the
 * Temporal CLI (dev server), and the full Temporal server, its schema tool and the Web UI server that
 * `npx conveyor cluster` runs. One `go install` per binary folder; nothing outside `.tools/` is written but
 * Go's own module and build caches.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../platform/config';

export type Progress = (line: string) => void;

/** Where the project keeps the binaries it builds. */
export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');

/** The oldest Go the pinned Temporal modules build with. */
export const MIN_GO: readonly [number, number] = [1, 25];

export function goVersion(): [number, number] | undefined {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  const match = /go(\d+)\.(\d+)/.exec(result.stdout ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** Why Go cannot build the tools here, or undefined when it can. */
export function goUnusable(): string | undefined {
  const version = goVersion();
  if (!version) return 'Go is not installed';
  if (version[0] < MIN_GO[0] || (version[0] === MIN_GO[0] && version[1] < MIN_GO[1])) {
    return `Go ${version.join('.')} is too old (needs Go >= ${MIN_GO.join('.')})`;
  }
  return undefined;
}

function runGoInstall(packages: string[], gobin: string, extraArgs: string[], progress: Progress): Promise<{ ok: boolean; output: string }> {
  fs.mkdirSync(gobin, { recursive: true });
  return runGo(['install', '-v', ...extraArgs, ...packages], { env: { GOBIN: gobin } }, progress);
}

/** Run the go command with progress lines (downloads, and a tick every 15 s); its output's tail on failure. */
export function runGo(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }, progress: Progress): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('go', args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let compiled = 0;
    const started = Date.now();
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-20_000);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        if (line.startsWith('go: downloading')) progress(`  ${line.trim()}`);
        else compiled += 1;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const ticker = setInterval(() => {
      progress(`  ... still building (${Math.round((Date.now() - started) / 1000)}s, ${compiled} packages compiled)`);
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

/**
 * `go install <packages>` into `gobin`, with progress lines. Retries once without linkname checks,
 * which newer Go linkers apply to some older modules. False (after printing the tail of Go's output)
 * when the build fails.
 */
export async function goInstall(options: { what: string; packages: string[]; gobin: string; progress: Progress }): Promise<boolean> {
  const { what, packages, gobin, progress } = options;
  const unusable = goUnusable();
  if (unusable) {
    progress(`${unusable}; cannot build ${what}.`);
    return false;
  }
  progress(`Building ${what} with Go ${goVersion()!.join('.')} into ${path.relative(PROJECT_ROOT, gobin)}/ (first time only; takes 1-10 minutes)...`);
  let attempt = await runGoInstall(packages, gobin, [], progress);
  if (!attempt.ok && /invalid reference|linkname/i.test(attempt.output)) {
    progress('  Go linker refused a //go:linkname; retrying with -ldflags=-checklinkname=0 ...');
    attempt = await runGoInstall(packages, gobin, ['-ldflags=-checklinkname=0'], progress);
  }
  if (!attempt.ok) progress(`  go install failed:\n${attempt.output.split('\n').slice(-15).join('\n')}`);
  return attempt.ok;
}
