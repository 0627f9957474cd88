/**
 * How every Conveyor CLI ends on an error: expected errors (bad input, unreachable server, missing
 * binary) print one line and exit 2 (usage) or 1; anything else is a bug and keeps its stack.
 */
import { ServerUnreachable } from '../../client/connect';
import { ConfigError } from '../../common/config';
import { InputError } from '../../pipelines/registry';
import { MissingWorkflowBundle } from '../../workers/create-worker';
import { TemporalCliNotFound } from './temporal-cli';
import { WarehouseInUse } from '../../warehouse/warehouse';

export function exitOnError(command: string) {
  return (err: unknown): never => {
    if (err instanceof InputError || err instanceof ConfigError) {
      console.error(`${command}: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof ServerUnreachable || err instanceof TemporalCliNotFound || err instanceof MissingWorkflowBundle || err instanceof WarehouseInUse) {
      console.error(`${command}: ${err.message}`);
      process.exit(1);
    }
    console.error(`${command}: unexpected error (this is a bug):`, err);
    process.exit(1);
  };
}
