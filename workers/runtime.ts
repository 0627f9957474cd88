/**
 * The Temporal SDK runtime of a worker process: its logs (worker, workflow `log`, core) go through
 * Conveyor's pino logger, and, given a port, its metrics (the SDK's and Conveyor's own, see
 * activities/metrics.ts) are served for Prometheus at `http://<host>:<port>/metrics`.
 */
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { getLogger, PinoSdkLogger } from '../common/logger';

let installed = false;

export function installRuntime(options: { metricsPort?: number } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new PinoSdkLogger(getLogger()),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(options.metricsPort
        ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${options.metricsPort}`, countersTotalSuffix: true, unitSuffix: false, useSecondsForDurations: true } } }
        : {}),
    },
  });
}
