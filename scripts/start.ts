/**
 * `npm start`: the whole thing on one machine. Finds or builds the Temporal CLI, starts the server
 * (unless one is already up), builds the workflow bundle, starts a worker, generates a week of
 * sample `orders` data, applies the pipelines' schedules (so the server keeps running them daily),
 * serves the dashboard, runs each day as a partition workflow, prints the outcome, the Web UI and
 * dashboard URLs, and keeps serving
 * until Ctrl-C (`--exit` to stop once the week is done).
 */
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { connectClient, isServerUp, ServerUnreachable, temporalTarget, waitForServer } from '../client/connect';
import { applySchedules } from '../client/schedules';
import { webUiListUrl } from '../client/workflow-lookup';
import { startPartitionRun, waitForPartitionRun, type PartitionRunOutcome } from '../client/partition-runs';
import { loadConfig, type ConveyorConfig } from '../common/config';
import { createLogger, getLogger, setLogger } from '../common/logger';
import { addDays } from '../common/partition-key';
import { generateOrdersPartition } from '../pipelines/orders/generate';
import { ordersPipeline } from '../pipelines/orders/definition';
import { defaultRegistry, latestAvailablePartition } from '../pipelines/registry';
import { LakeLayout, prepareLake } from '../lake/layout';
import { activityDeps } from '../activities/deps';
import { startDashboard } from '../dashboard/server';
import { createConveyorWorkers } from '../workers/create-worker';
import { installRuntime } from '../workers/runtime';
import { exitOnError } from './lib/cli-errors';
import { startDevServer, uiCodecEndpointOf } from './lib/dev-server';
import { intInRange, parseOption } from './lib/options';
import { ensureTemporalCli } from './lib/temporal-cli';
import { buildWorkflowBundle } from './lib/workflow-bundle';
import pino from 'pino';
import fs from 'node:fs';

const say = (line: string) => console.error(line);

/**
 * What this run started, stopped in reverse order on every way out: the end of the sample week with
 * --exit, Ctrl-C (before or after the workers run), or an error at any step.
 */
class Started {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private stopping: Promise<void> | undefined;
  /** Set once the workers run: resolves when they stop (Ctrl-C). */
  waitForWorkers?: () => Promise<void>;
  add(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop });
  }
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, stop } of this.stops.reverse()) {
        await stop().catch((err: unknown) => say(`    could not stop ${name}: ${err instanceof Error ? err.message : String(err)}`));
      }
    })();
    return this.stopping;
  }
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm start --')
    .option('--days <n>', 'how many days of sample data to run', '7')
    .option('--rows <n>', 'rows per day', '1000')
    .option('--exit', 'stop the worker and server once the sample week has run')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ days: string; rows: string; exit?: boolean }>();
  const days = parseOption('--days', intInRange(1, 366), opts.days);
  const rows = parseOption('--rows', intInRange(1, 10_000_000), opts.rows);
  const config = loadConfig();
  const lake = new LakeLayout(config.lakeDir);
  await prepareLake(lake);

  // Worker and activity logs go to a file, so this terminal shows the story, not JSON.
  fs.mkdirSync(config.dataDir, { recursive: true });
  const logFile = path.join(config.dataDir, 'conveyor.log');
  setLogger(createLogger(config.logLevel, pino.destination({ dest: logFile, sync: false })));

  const started = new Started();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`\n${signal}: stopping what npm start started ...`);
      void started.stopAll().then(() => process.exit(130));
    });
  }
  try {
    const failed = await run(config, lake, days, rows, logFile, started);
    if (!opts.exit) {
      say('');
      say('Worker and server keep running so you can explore the Web UI and query the lake; Ctrl-C to stop.');
      await started.waitForWorkers?.();
    }
    await started.stopAll();
    process.exit(failed === 0 ? 0 : 1);
  } catch (err) {
    await started.stopAll();
    throw err;
  }
}

async function run(config: ConveyorConfig, lake: LakeLayout, days: number, rows: number, logFile: string, started: Started): Promise<number> {
  if (await isServerUp(temporalTarget(config))) {
    say(`1/5 Temporal server already running at ${config.temporalAddress}`);
  } else if (config.temporalSecurity.tls || config.temporalSecurity.apiKey) {
    // A remote server (TLS or an API key is configured) that does not answer: say so; a local
    // server without TLS could never stand in for it.
    throw new ServerUnreachable(`the Temporal server at ${config.temporalAddress} (TLS) does not answer; check TEMPORAL_ADDRESS, the TEMPORAL_TLS_* certificates and TEMPORAL_API_KEY`);
  } else {
    say('1/5 Starting the Temporal server ...');
    const cli = await ensureTemporalCli({ progress: say, allowSdkDownload: true });
    const [host, port] = config.temporalAddress.split(':') as [string, string];
    const server = await startDevServer({
      cli,
      dbFile: path.join(config.dataDir, 'temporal', 'temporal.db'),
      ip: host === 'localhost' ? '127.0.0.1' : host,
      port: Number(port),
      uiPort: Number(new URL(config.webUiUrl).port || 8233),
      namespace: config.namespace,
      log: (line) => getLogger().info({ component: 'temporal-server' }, line),
      uiCodecEndpoint: uiCodecEndpointOf(config),
    });
    started.add('the Temporal server', () => server.stop());
    say(`    server up at ${server.address}`);
  }
  // The configured address (say, localhost) may resolve differently from the one the server was
  // checked on, and a server that just started can be slow to serve: wait, bounded, before connecting.
  await waitForServer(temporalTarget(config), {
    timeoutMs: 60_000,
    onRetry: (attempt) => attempt === 3 && say(`    waiting for the server at ${config.temporalAddress} ...`),
  });

  say('2/5 Building the workflow bundle ...');
  await buildWorkflowBundle(config.workflowBundlePath);

  say(`3/5 Starting a worker on task queues ${config.taskQueue} and ${config.backfillTaskQueue} (logs: ${path.relative(process.cwd(), logFile)}) ...`);
  installRuntime({ metricsPort: config.metricsPort });
  const connection = await NativeConnection.connect(temporalTarget(config));
  started.add('the worker connection', () => connection.close());
  const workers = await createConveyorWorkers(
    { connection, namespace: config.namespace, deps: activityDeps(config, defaultRegistry, lake), workflowBundlePath: config.workflowBundlePath },
    config,
  );
  // The SDK runtime also stops the workers on SIGINT/SIGTERM; run() resolves once they have drained.
  const workerRunning = Promise.all(workers.map((w) => w.run()));
  started.add('the worker', async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await workerRunning;
  });
  started.waitForWorkers = () => workerRunning.then(() => undefined);

  const last = latestAvailablePartition(ordersPipeline, Date.now());
  const first = addDays(last, -(days - 1));
  say(`4/5 Generating ${days} day(s) of sample orders, ${first} → ${last}, into ${path.relative(process.cwd(), config.landingDir)}/ ...`);
  const partitions: string[] = [];
  for (let p = first; p <= last; p = addDays(p, 1)) partitions.push(p);
  partitions.forEach((partition, i) => {
    // Some realism: one day carries duplicate rows, one day's storage is flaky at first (retried).
    const faults = i === 1 ? (['duplicates'] as const) : i === 3 ? ([{ kind: 'flaky', count: 1 }] as const) : [];
    generateOrdersPartition({ landingDir: config.landingDir, partition, rows, files: 2, faults: [...faults] });
  });

  const client = await connectClient(config);
  started.add('the client connection', () => client.connection.close());
  // From now on the server runs the sample pipelines daily by itself (and makes up missed days).
  // The sample week does not depend on them: a server that will not describe its schedules is a line, not a failed start.
  try {
    const applied = await applySchedules(client, { config });
    say(`    schedules: ${applied.created.length} created, ${applied.updated.length} updated, ${applied.unchanged.length} unchanged (\`npm run schedules -- list\`)`);
  } catch (err) {
    say(`    schedules not applied (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); apply them later with \`npm run schedules -- apply\``);
  }

  // The dashboard (partition calendar, open alerts); a busy port is worth a line, not a failed start.
  let dashboardUrl: string | undefined;
  try {
    const dashboard = await startDashboard({ config, registry: defaultRegistry, port: config.dashboardPort });
    started.add('the dashboard', () => dashboard.close());
    dashboardUrl = dashboard.url;
  } catch (err) {
    say(`    dashboard not started: ${(err as Error).message}`);
  }

  say(`5/5 Running ${partitions.length} partition workflows ...`);
  const outcomes = await Promise.all(
    partitions.map(async (partition) => {
      const run = await startPartitionRun(client, { pipeline: 'orders', partition, runKind: 'scheduled' }, { config });
      return { run, outcome: await waitForPartitionRun(run) };
    }),
  );
  printTable(outcomes.map((o) => o.outcome));

  say('');
  say(`Web UI:    ${webUiListUrl(config, 'Pipeline = "orders"')}`);
  say(`One run:   ${outcomes[0]!.run.webUiUrl}`);
  if (dashboardUrl) say(`Dashboard: ${dashboardUrl} (partition calendar, open alerts; \`npm run status\` in a terminal)`);
  say(`Lake:      ${path.relative(process.cwd(), lake.root)}/ (Parquet; query it, even while workers run, with \`npm run sql -- "SELECT count(*) FROM showroom.orders"\`)`);
  return outcomes.filter((o) => o.outcome.status === 'failed').length;
}

function printTable(outcomes: PartitionRunOutcome[]): void {
  const rows = outcomes.map((o) =>
    o.status === 'succeeded'
      ? [o.result.partition, 'succeeded', o.result.rows.in, o.result.rows.published, o.result.rows.rejected, o.result.rows.duplicate, Math.max(...Object.values(o.result.attempts))]
      : [o.workflowId.split('/')[1]!, `FAILED (${o.failure.failureClass} at ${o.failure.step})`, '', '', o.failure.rejectedRows ?? '', '', o.failure.attempt ?? ''],
  );
  const header = ['partition', 'status', 'rows in', 'published', 'rejected', 'duplicates', 'max attempts'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor start')(err);
});
