/** Route the Temporal SDK's own logs (worker, workflow `log`, core) through Conveyor's pino logger. */
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { getLogger, PinoSdkLogger } from '../common/logger';

let installed = false;

export function installRuntime(): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new PinoSdkLogger(getLogger()),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
}
