import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../../workers/create-worker';

const ignore = () => undefined;
const quietLogger = {
  log: ignore, trace: ignore, debug: ignore, info: ignore,
  warn: (message: string) => console.error(message),
  error: (message: string) => console.error(message),
};

/**
 * Bundle the workflow code once (webpack) and write it where workers load it from. Returns its size in
 * bytes. Conveyor's bundle preloads WORKFLOW_PRELOAD_MODULES; another entry point (`workflowsPath`, the
 * bench's ceiling) is bundled as it is.
 */
export async function buildWorkflowBundle(outPath: string, workflowsPath?: string): Promise<number> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsPath ?? WORKFLOWS_PATH,
    logger: quietLogger,
    ...(workflowsPath ? {} : { preloadModules: WORKFLOW_PRELOAD_MODULES }),
  });
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  fs.writeFileSync(outPath, code);
  return code.length;
}
