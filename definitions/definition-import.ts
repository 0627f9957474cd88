/**
 * `import { definePipeline } from 'conveyor/pipeline'`: the one stable import a pipeline kept outside
 * this checkout (CONVEYOR_PIPELINES_DIR) uses for Conveyor's helpers, with no build step and no
 * relative path into Conveyor's tree. Conveyor resolves it to `pipelines/sdk.ts` when it loads
 * definitions (the registry installs this), and `npm test` preloads it for the pipelines' own tests.
 */
import Module from 'node:module';
import path from 'node:path';

export const DEFINITION_IMPORT = 'conveyor/pipeline';
const SDK = path.resolve(__dirname, '..', 'pipelines', 'sdk.ts');

let installed = false;
export function installDefinitionImport(): void {
  if (installed) return;
  installed = true;
  const resolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = resolver._resolveFilename;
  resolver._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return original.call(this, request === DEFINITION_IMPORT ? SDK : request, ...rest);
  };
}

installDefinitionImport();
