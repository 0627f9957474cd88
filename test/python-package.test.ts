/**
 * Conveyor's Python worker package (python/) runs its own tests (unittest, no server) in the project's
 * Python environment: what a pipeline's function returns is written as Parquet, and each exception has
 * its failure class. The server-backed path is test/python-transform.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { PYTHON } from '../scripts/python-env';

it("the Python worker package's own tests pass", () => {
  const root = path.join(__dirname, '..', 'python');
  const done = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(done.status, 0, `${done.stdout}\n${done.stderr}`);
  assert.match(done.stderr, /^Ran [1-9]\d* tests? in/m);
  assert.match(done.stderr, /^OK$/m);
});
