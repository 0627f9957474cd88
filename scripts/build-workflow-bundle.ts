/**
 * `npm run build:workflows`: bundle the workflow code once, so workers start without webpack.
 * Writes CONVEYOR_WORKFLOW_BUNDLE (default `.build/workflow-bundle.js`); `--workflows <file>` bundles
 * another entry point (the benchmark's), in its own process.
 */
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { runMain } from '../platform/exit';
import { buildWorkflowBundle } from './lib/workflow-bundle';

runMain('conveyor build:workflows', async () => {
  const config = loadConfig();
  const flag = process.argv.indexOf('--workflows');
  const workflowsPath = flag > 0 ? path.resolve(process.argv[flag + 1] ?? '') : undefined;
  const bytes = await buildWorkflowBundle(config.workflowBundlePath, workflowsPath);
  console.error(`workflow bundle written to ${path.relative(process.cwd(), config.workflowBundlePath)} (${Math.round(bytes / 1024)} KiB)`);
});
