/**
 * The deployment files both Temporal stacks share (`deploy/`): `npx conveyor cluster` runs them natively,
 * docker-compose.yml mounts them into Temporal's images. The dev server takes its dynamic config from
 * the same file, so every stack runs with the same settings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../platform/config';

export const DEPLOY_DIR = path.join(PROJECT_ROOT, 'deploy');
/** Server config template (`--root <this> --config config --env conveyor`). */
export const TEMPORAL_DEPLOY_DIR = path.join(DEPLOY_DIR, 'temporal');
export const TEMPORAL_CONFIG_ENV = 'conveyor';
export const DYNAMIC_CONFIG_FILE = path.join(TEMPORAL_DEPLOY_DIR, 'dynamicconfig', 'conveyor.yaml');
export const SETUP_SCHEMA_SCRIPT = path.join(TEMPORAL_DEPLOY_DIR, 'setup-schema.sh');
export const SETUP_NAMESPACE_SCRIPT = path.join(TEMPORAL_DEPLOY_DIR, 'setup-namespace.sh');
/** Web UI server config (`--root deploy --config temporal-ui --env conveyor`). */
export const UI_CONFIG_DIR_NAME = 'temporal-ui';
/** How long closed runs stay in Temporal's visibility (the run manifests stay in the lake). */
export const NAMESPACE_RETENTION = '168h';

const dynamicConfigSchema = z.record(z.string(), z.array(z.object({ value: z.union([z.boolean(), z.number(), z.string()]) }).strict()).length(1));

/** The dynamic config values (global ones only: no constraints), key → value. */
export function serverDynamicConfig(): Record<string, string | number | boolean> {
  const parsed = dynamicConfigSchema.parse(parse(fs.readFileSync(DYNAMIC_CONFIG_FILE, 'utf8')));
  return Object.fromEntries(Object.entries(parsed).map(([key, [entry]]) => [key, entry!.value]));
}
