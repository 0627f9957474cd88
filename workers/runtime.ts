/**
 * The Temporal SDK runtime of a worker process: its logs (worker, workflow `log`, core) go through
 * Conveyor's pino logger, and, given a port, its metrics (the SDK's and Conveyor's own, see
 * activities/metrics.ts) are served for Prometheus at `http://<host>:<port>/metrics`.
 */
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { getLogger, PinoSdkLogger } from '../platform/logger';
import { Unavailable } from '../common/errors';

let installed = false;

/** The worker runtime could not start as configured (e.g. its metrics port is taken): one line. */
export class WorkerRuntimeUnavailable extends Unavailable {
  override name = 'WorkerRuntimeUnavailable';
}

export function installRuntime(options: { metricsPort?: number } = {}): void {
  if (installed) return;
  try {
    install(options);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    if (options.metricsPort) throw new WorkerRuntimeUnavailable(`cannot serve metrics on port ${options.metricsPort} (CONVEYOR_METRICS_PORT): ${reason}`);
    throw err;
  }
  installed = true;
}

function install(options: { metricsPort?: number }): void {
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
