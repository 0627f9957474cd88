/** What `conveyor start` starts (the dev server, a worker) and how it stops them again, in reverse order, on every way out. */
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { activityDeps } from '../../activities/deps';
import { assertTransformsRunnable } from '../../transforms';
import type { LakeLayout } from '../../lake/layout';
import type { ConveyorConfig } from '../../platform/config';
import { getLogger } from '../../platform/logger';
import { isServerUp, ServerUnreachable, temporalTarget, waitForServer } from '../../platform/temporal';
import { startConfiguredDevServer } from '../../scripts/lib/dev-server';
import { buildWorkflowBundle } from '../../scripts/lib/workflow-bundle';
import { createConveyorWorkers } from '../../workers/create-worker';
import { installRuntime } from '../../workers/runtime';
import type { Context } from '../context';

/** What this run started, stopped in reverse order: at the end with --exit, on Ctrl-C, or on an error at any step. */
export class Started {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private stopping: Promise<void> | undefined;
  constructor(private readonly say: (line: string) => void) {}

  add(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop });
  }

  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, stop } of this.stops.reverse()) {
        await stop().catch((err: unknown) => this.say(`    could not stop ${name}: ${err instanceof Error ? err.message : String(err)}`));
      }
    })();
    return this.stopping;
  }
}

/** Step 1: the dev server, unless a server answers already; waits (bounded) until it serves. */
export async function startServerUnlessUp(config: ConveyorConfig, started: Started, say: (line: string) => void): Promise<void> {
  if (await isServerUp(temporalTarget(config))) {
    say(`1/5 Temporal server already running at ${config.temporalAddress}`);
  } else if (config.temporalSecurity.tls || config.temporalSecurity.apiKey) {
    // A remote server (TLS or an API key is configured) that does not answer: a local one could never stand in for it.
    throw new ServerUnreachable(`the Temporal server at ${config.temporalAddress} (TLS) does not answer; check TEMPORAL_ADDRESS, the TEMPORAL_TLS_* certificates and TEMPORAL_API_KEY`);
  } else {
    say('1/5 Starting the Temporal server ...');
    const server = await startConfiguredDevServer(config, { log: (line) => getLogger().info({ component: 'temporal-server' }, line), progress: say });
    started.add('the Temporal server', () => server.stop());
    say(`    server up at ${server.address}; Web UI ${server.uiUrl}; HTTP API ${server.httpUrl}`);
  }
  // The configured address (say, localhost) may resolve differently from the one the server was
  // checked on, and a server that just started can be slow to serve.
  await waitForServer(temporalTarget(config), {
    timeoutMs: 60_000,
    onRetry: (attempt) => attempt === 3 && say(`    waiting for the server at ${config.temporalAddress} ...`),
  });
}

/** Steps 2 and 3: the workflow bundle, then a worker in this process on both task queues; `stopped` resolves when it has drained. */
export async function startWorker(ctx: Context, lake: LakeLayout, logFile: string, started: Started, say: (line: string) => void): Promise<{ stopped: Promise<void> }> {
  const { config, registry } = ctx;
  assertTransformsRunnable(registry);
  say('2/5 Building the workflow bundle ...');
  await buildWorkflowBundle(config.workflowBundlePath);
  say(`3/5 Starting a worker on task queues ${config.taskQueue} and ${config.backfillTaskQueue} (logs: ${path.relative(process.cwd(), logFile)}) ...`);
  installRuntime({ metricsPort: config.metricsPort });
  const connection = await NativeConnection.connect(temporalTarget(config));
  started.add('the worker connection', () => connection.close());
  const deps = activityDeps(config, registry, lake);
  const workers = await createConveyorWorkers({ connection, namespace: config.namespace, deps, workflowBundlePath: config.workflowBundlePath }, config);
  // The SDK runtime also stops the workers on SIGINT/SIGTERM; run() resolves once they have drained.
  const running = Promise.all(workers.map((w) => w.run()));
  started.add('the worker', async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running;
  });
  return { stopped: running.then(() => undefined) };
}
