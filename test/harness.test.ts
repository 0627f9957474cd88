/**
 * The test harness itself: a test that fails while a step is held must end its file within seconds,
 * red and named, never hang CI. Runs test/fixtures/harness/gated-failure.ts in a child process with
 * the flags `npm test` gives every file (scripts/lib/test-files.ts), and times it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { NODE_TEST_FLAGS } from '../scripts/lib/test-files';

const ROOT = path.resolve(__dirname, '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'harness', 'gated-failure.ts');


function runFixture(mode: 'gate' | 'hang'): Promise<{ code: number | null; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_TEST_FLAGS, FIXTURE], {
      cwd: ROOT,
      env: { ...process.env, HARNESS_FIXTURE_MODE: mode, NODE_TEST_CONTEXT: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    // Far beyond the bounds under test: if the fixture is still running then, the harness hangs.
    const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

describe('test harness', () => {
  it('a test that fails while its step waits on a gate ends its file at once, red, naming the test', { timeout: 250_000 }, async () => {
    const { code, output, seconds } = await runFixture('gate');
    assert.equal(code, 1, output);
    assert.match(output, /not ok \d+ - a test that fails while its step is held/);
    assert.match(output, /what the test saw/);
    assert.match(output, /# fail 1\b/, 'only the test fails: its hooks released the gate and stopped cleanly');
    // Server start, worker start and the failing test take a few seconds; a hang took 11 minutes.
    assert.ok(seconds < 90, `the file ended after ${seconds} s`);
  });

  it('a step that never returns ends its file within the hooks\' bounds, with a failure naming what hung', { timeout: 250_000 }, async () => {
    const { code, output, seconds } = await runFixture('hang');
    assert.equal(code, 1, output);
    assert.match(output, /not ok \d+ - a test that fails while its step is held/);
    assert.match(output, /the workers to finish their steps|worker shutdown|GracefulShutdownPeriodExpired/);
    assert.ok(seconds < 150, `the file ended after ${seconds} s`);
  });
});
