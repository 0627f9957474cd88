/**
 * Conveyor's Python worker (python/, the Temporal Python SDK): where it is installed, whether this
 * deployment can use it, and what it is started with. It gets Conveyor's configuration as this process
 * resolved it, in one variable (CONVEYOR_PYTHON_WORKER_SETTINGS): the rules live in platform/config.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { PipelineDefinition } from '../definitions/definition';
import type { PipelineRegistry } from '../definitions/registry';
import type { ConveyorConfig } from '../platform/config';
import { pythonEnvBin } from '../platform/python-env';

/** `conveyor-python-worker`, as `npm run python-env` installs it into the project's Python environment. */
export const PYTHON_WORKER = pythonEnvBin('conveyor-python-worker');
export const PYTHON_WORKER_SETTINGS = 'CONVEYOR_PYTHON_WORKER_SETTINGS';

/** Why this deployment's `python` transforms cannot run (payloads the Python worker cannot read), or undefined. */
export function pythonUnsupported(config: Pick<ConveyorConfig, 'codecKeys'>): string | undefined {
  if (config.codecKeys) return 'payloads are encrypted (CONVEYOR_CODEC_KEYS) and the Python worker cannot decrypt them: unset CONVEYOR_CODEC_KEYS, or use a sql, command or dbt transform';
  return undefined;
}

/** Why this deployment's `spark` transforms cannot run (a lake in S3: their executors write a lake folder), or undefined. */
export function sparkUnsupported(config: Pick<ConveyorConfig, 'lakeUrl' | 'codecKeys'>): string | undefined {
  if (config.lakeUrl) return `the lake is in S3 (CONVEYOR_LAKE_URL=${config.lakeUrl}) and Spark jobs write a lake folder: unset CONVEYOR_LAKE_URL, or use a python transform`;
  return pythonUnsupported(config);
}

/** Why the Python worker cannot start here, or undefined. */
export function pythonWorkerUnavailable(config: Pick<ConveyorConfig, 'codecKeys'>): string | undefined {
  if (!fs.existsSync(PYTHON_WORKER)) return `Conveyor's Python worker is not installed (${path.relative(process.cwd(), PYTHON_WORKER) || PYTHON_WORKER}): run npm run python-env`;
  return pythonUnsupported(config);
}

/** Why this machine cannot run `spark` transforms' jobs (no Java, no PySpark in the project's Python), or undefined. */
export function sparkUnavailable(): string | undefined {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  if (spawnSync(java, ['-version'], { stdio: 'ignore' }).status !== 0) return `Spark needs Java 17 or later and ${java} does not run: install it (Debian: apt install openjdk-17-jre-headless) or set JAVA_HOME`;
  if (spawnSync(pythonEnvBin('python'), ['-c', 'import pyspark'], { stdio: 'ignore' }).status !== 0) return 'PySpark is not installed in .tools/python: run npm run python-env';
  return undefined;
}

/** The deployed pipelines whose `python` or `spark` transform this deployment's Python worker serves (on CONVEYOR_PYTHON_TASK_QUEUE). */
export function servedByPythonWorker(registry: Pick<PipelineRegistry, 'all'>, config: Pick<ConveyorConfig, 'pythonTaskQueue'>): PipelineDefinition[] {
  return registry.all().filter((p) => (p.transform.kind === 'python' || p.transform.kind === 'spark') && (p.transform.taskQueue ?? config.pythonTaskQueue) === config.pythonTaskQueue);
}

/** The settings the Python worker is started with (python/conveyor_worker/worker.py reads them). */
export function pythonWorkerSettings(config: ConveyorConfig, pipelinesDirs: string[], shutdownGraceSeconds: number): string {
  const { tls, apiKey } = config.temporalSecurity;
  return JSON.stringify({
    address: config.temporalAddress,
    namespace: config.namespace,
    taskQueue: config.pythonTaskQueue,
    slots: config.pythonActivitySlots,
    sparkMaster: config.sparkMaster,
    lakeDir: config.lakeDir,
    lakeUrl: config.lakeUrl ?? null,
    pipelinesDirs,
    shutdownGraceSeconds,
    tls: tls
      ? {
          serverRootCaCert: tls.serverRootCACertificate?.toString('utf8'),
          clientCert: tls.clientCertPair?.crt.toString('utf8'),
          clientKey: tls.clientCertPair?.key.toString('utf8'),
          serverName: tls.serverNameOverride,
        }
      : null,
    ...(apiKey ? { apiKey } : {}),
  });
}
