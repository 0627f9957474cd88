/**
 * The last step of `npm test`: every test file (scripts/lib/test-files.ts) in one `node --test` run.
 * Extra arguments go to node (e.g. `npm test -- --test-name-pattern=backfill`).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { NODE_TEST_FLAGS, testFiles } from './lib/test-files';

const files = testFiles().map((f) => path.relative(process.cwd(), f));
const result = spawnSync(process.execPath, [...NODE_TEST_FLAGS, ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
