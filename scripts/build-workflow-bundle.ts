/**
 * `npm run build:workflows`: bundle the workflow code once, so workers start without webpack.
 * Writes CONVEYOR_WORKFLOW_BUNDLE (default `.build/workflow-bundle.js`).
 */
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { exitOnError } from './lib/cli-errors';
import { buildWorkflowBundle } from './lib/workflow-bundle';

async function main(): Promise<void> {
  const config = loadConfig();
  // `--workflows <file>` bundles another entry point (the benchmark's), in its own process.
  const flag = process.argv.indexOf('--workflows');
  const workflowsPath = flag > 0 ? path.resolve(process.argv[flag + 1] ?? '') : undefined;
  const bytes = await buildWorkflowBundle(config.workflowBundlePath, workflowsPath);
  console.error(`workflow bundle written to ${path.relative(process.cwd(), config.workflowBundlePath)} (${Math.round(bytes / 1024)} KiB)`);
}

main().catch(exitOnError('conveyor build:workflows'));
