/**
 * `npm run build:workflows`: bundle the workflow code once, so workers start without webpack.
 * Writes CONVEYOR_WORKFLOW_BUNDLE (default `.build/workflow-bundle.js`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../common/config';
import { WORKFLOWS_PATH } from '../workers/create-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  fs.mkdirSync(path.dirname(config.workflowBundlePath), { recursive: true });
  fs.writeFileSync(config.workflowBundlePath, code);
  console.error(`workflow bundle written to ${path.relative(process.cwd(), config.workflowBundlePath)} (${Math.round(code.length / 1024)} KiB)`);
}

const ignore = () => undefined;
const quietLogger = {
  log: ignore, trace: ignore, debug: ignore, info: ignore,
  warn: (message: string) => console.error(message),
  error: (message: string) => console.error(message),
};

main().catch((err: unknown) => {
  console.error(`conveyor: could not bundle workflows: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
