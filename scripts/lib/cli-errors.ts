/**
 * How every Conveyor CLI ends on an error: expected errors (bad input, unreachable server, missing
 * binary) print one line and exit 2 (usage) or 1; anything else is a bug and keeps its stack.
 */
import { ServerUnreachable } from '../../client/connect';
import { ConfigError } from '../../platform/config';
import { PipelineDefinitionError } from '../../definitions/definition';
import { PipelineGraphError } from '../../definitions/registry';
import { InputError } from '../../common/errors';
import { MissingWorkflowBundle } from '../../workers/create-worker';
import { TemporalCliNotFound } from './temporal-cli';
import { LakeUnavailable, UnsafeLakePath } from '../../lake/layout';
import { PostgresUnavailable } from './cluster/postgres';
import { ClusterStartFailed } from './cluster/stack';
import { ClusterToolsUnavailable } from './cluster/tools';
import { DashboardUnavailable } from '../../dashboard/server';
import { WorkerRuntimeUnavailable } from '../../workers/runtime';

/**
 * The search attribute a server refused because its namespace does not define it (a server not
 * started by `npm run server` nor set up as docker-compose.yml does), or undefined.
 */
export function missingSearchAttribute(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const name = /no mapping defined for search attribute (\w+)/.exec(e.message)?.[1];
    if (name) return name;
  }
  return undefined;
}

export function exitOnError(command: string) {
  return (err: unknown): never => {
    const attribute = missingSearchAttribute(err);
    if (attribute) {
      console.error(
        `${command}: the Temporal server's namespace has no search attribute ${attribute}: ` +
          'start the server with `npm run server`, or register Conveyor\'s search attributes (see docs/runbook.md)',
      );
      process.exit(1);
    }
    if (err instanceof InputError || err instanceof ConfigError || err instanceof UnsafeLakePath || err instanceof PipelineGraphError || err instanceof PipelineDefinitionError) {
      console.error(`${command}: ${err.message}`);
      process.exit(2);
    }
    const oneLine = [ServerUnreachable, TemporalCliNotFound, MissingWorkflowBundle, LakeUnavailable, ClusterStartFailed, ClusterToolsUnavailable, PostgresUnavailable, DashboardUnavailable, WorkerRuntimeUnavailable];
    if (oneLine.some((kind) => err instanceof kind)) {
      console.error(`${command}: ${(err as Error).message}`);
      process.exit(1);
    }
    console.error(`${command}: unexpected error (this is a bug):`, err);
    process.exit(1);
  };
}
