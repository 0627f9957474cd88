/**
 * What `npm test` runs, in one place: the node flags (also used by test/harness.test.ts to run a file
 * the way the suite does) and the test files: Conveyor's, its pipelines', and those of the pipelines
 * under CONVEYOR_PIPELINES_DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipelineRoots } from '../../definitions/registry';

const ROOT = path.resolve(__dirname, '..', '..');

/** `--test-force-exit`: a file whose tests are done ends, whatever handle a failed test left open. */
export const NODE_TEST_FLAGS = [
  '--import', 'tsx',
  '--require', 'tsx/cjs',
  '--require', path.join(ROOT, 'definitions', 'definition-import.ts'),
  '--test', '--test-force-exit', '--test-concurrency=1',
];

/** test/*.test.ts, then <root>/<pipeline>/*.test.ts for every pipeline root. */
export function testFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const inDir = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(dir, f)) : []);
  const pipelineTests = pipelineRoots(env).flatMap((root) =>
    fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name)).flatMap((d) => inDir(path.join(root, d.name))),
  );
  return [...inDir(path.join(ROOT, 'test')), ...pipelineTests];
}
