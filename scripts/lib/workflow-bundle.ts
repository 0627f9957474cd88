import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/create-worker';

const ignore = () => undefined;
const quietLogger = {
  log: ignore, trace: ignore, debug: ignore, info: ignore,
  warn: (message: string) => console.error(message),
  error: (message: string) => console.error(message),
};

/** Bundle the workflow code once (webpack) and write it where workers load it from. Returns its size in bytes. */
export async function buildWorkflowBundle(outPath: string, workflowsPath: string = WORKFLOWS_PATH): Promise<number> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  fs.writeFileSync(outPath, code);
  return code.length;
}
