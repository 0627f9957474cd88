/**
 * `npm start`: the whole thing on one machine. Finds or builds the Temporal CLI, starts the server
 * (unless one is already up), builds the workflow bundle, starts a worker, serves the dashboard,
 * generates sample data for every pipeline with a generator (the last 14 days: the monitors' window,
 * so nothing the demo did not load shows as missing), backfills every pipeline it can load (upstreams
 * first), then applies the pipelines' schedules (so the server keeps running them and their monitors
 * check them), prints the outcome, the Web UI and dashboard URLs, and keeps serving until Ctrl-C
 * (`--exit` to stop once the range has run).
 */
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { connectClient, isServerUp, ServerUnreachable, temporalTarget, waitForServer } from '../client/connect';
import { applySchedules } from '../client/schedules';
import { webUiListUrl } from '../common/web-ui';
import { startBackfill } from '../client/backfills';
import { startPartitionRun } from '../client/partition-runs';
import { loadConfig, type ConveyorConfig } from '../platform/config';
import { createLogger, getLogger, setLogger } from '../platform/logger';
import { partitionSchemeOf, upstreamOf, type PipelineDefinition } from '../definitions/definition';
import type { SampleGenerator } from '../definitions/generator';
import { deploymentRegistry, findGeneratorOf, latestAvailablePartition, type PipelineRegistry } from '../definitions/registry';
import type { BackfillProgress } from '../workflows/backfill-input';
import { LakeLayout, prepareLake, lakeOf } from '../lake/layout';
import { activityDeps } from '../activities/deps';
import { startDashboard } from '../dashboard/server';
import { createConveyorWorkers } from '../workers/create-worker';
import { installRuntime } from '../workers/runtime';
import { exitOnError } from './lib/cli-errors';
import { startDevServer, uiCodecEndpointOf } from './lib/dev-server';
import { intInRange, parseOption } from '../common/options';
import { ensureTemporalCli } from './lib/temporal-cli';
import { buildWorkflowBundle } from './lib/workflow-bundle';
import { lateDownstreamKeys } from './lib/sample-late';
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
    .option('--days <n>', 'how many days of sample data to run (default: the monitors\' 14-day window)', '14')
    .option('--rows <n>', 'rows per partition (default: each generator\'s own)')
    .option('--exit', 'stop the worker and server once the sample range has run')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ days: string; rows?: string; exit?: boolean }>();
  const days = parseOption('--days', intInRange(1, 366), opts.days);
  const rows = opts.rows === undefined ? undefined : parseOption('--rows', intInRange(1, 10_000_000), opts.rows);
  const config = loadConfig();
  const lake = lakeOf(config);
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

async function run(config: ConveyorConfig, lake: LakeLayout, days: number, rows: number | undefined, logFile: string, started: Started): Promise<number> {
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

  const registry = deploymentRegistry();
  say(`3/5 Starting a worker on task queues ${config.taskQueue} and ${config.backfillTaskQueue} (logs: ${path.relative(process.cwd(), logFile)}) ...`);
  installRuntime({ metricsPort: config.metricsPort });
  const connection = await NativeConnection.connect(temporalTarget(config));
  started.add('the worker connection', () => connection.close());
  const workers = await createConveyorWorkers(
    { connection, namespace: config.namespace, deps: activityDeps(config, registry, lake), workflowBundlePath: config.workflowBundlePath },
    config,
  );
  // The SDK runtime also stops the workers on SIGINT/SIGTERM; run() resolves once they have drained.
  const workerRunning = Promise.all(workers.map((w) => w.run()));
  started.add('the worker', async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await workerRunning;
  });
  started.waitForWorkers = () => workerRunning.then(() => undefined);

  const sample = samplePlan(registry, Date.now(), days);
  say(`4/5 Generating ${days} day(s) of sample data into ${path.relative(process.cwd(), config.landingDir)}/ ...`);
  for (const s of sample.filter((s) => s.generator && s.keys.length > 0)) {
    const faults = s.generator!.demoFaults?.(s.keys) ?? {};
    for (const key of s.keys) await s.generator!.generate({ landingDir: config.landingDir, partition: key, rows, faults: faults[key] ?? [] });
    s.late = s.keys.filter((k) => faults[k]?.some((f) => f.kind === 'no-marker'));
    say(`    ${s.pipeline.name}: ${s.keys.length} ${s.pipeline.partitions.kind} partition(s), ${s.keys[0]} → ${s.keys[s.keys.length - 1]}${s.late.length ? ` (${s.late.join(', ')} still landing)` : ''}`);
  }

  const client = await connectClient(config);
  started.add('the client connection', () => client.connection.close());
  // The dashboard (partition calendar, open alerts); a busy port is worth a line, not a failed start.
  let dashboardUrl: string | undefined;
  try {
    const dashboard = await startDashboard({ config, registry, port: config.dashboardPort });
    started.add('the dashboard', () => dashboard.close());
    dashboardUrl = dashboard.url;
  } catch (err) {
    say(`    dashboard not started: ${(err as Error).message}`);
  }

  // The sample history as backfills (history is a backfill's job: never "late"), upstreams first; a
  // partition still landing gets its own run, which waits for its data as a scheduled run would.
  say(`5/5 Backfilling the sample range of ${sample.length} pipelines, upstreams first ...`);
  const results: { pipeline: string; partitions: number; outcome: BackfillProgress }[] = [];
  const done = new Set<string>();
  while (done.size < sample.length) {
    // Every upstream of a sampled pipeline is sampled too (samplePlan): run each once its upstreams are in.
    const ready = sample.filter((s) => !done.has(s.pipeline.name) && upstreamOf(s.pipeline).every((u) => done.has(u)));
    await Promise.all(
      ready.map(async (s) => {
        // A partition reading an upstream key still landing (the newest hour, in the first hour after
        // midnight UTC a key of yesterday) waits for it too, on its own.
        s.late.push(...lateDownstreamKeys(registry, s.pipeline, s.keys, new Map(sample.map((u) => [u.pipeline.name, u.late]))));
        const keys = s.keys.filter((k) => !s.late.includes(k));
        if (keys.length > 0) {
          const backfill = await startBackfill(client, { pipeline: s.pipeline.name, from: keys[0]!, to: keys[keys.length - 1]!, maxConcurrency: 8 }, { config, registry });
          results.push({ pipeline: s.pipeline.name, partitions: keys.length, outcome: await backfill.handle.result() });
        }
        for (const key of s.late) await startPartitionRun(client, { pipeline: s.pipeline.name, partition: key, runKind: 'scheduled' }, { config, registry });
        done.add(s.pipeline.name);
      }),
    );
  }
  // From now on the server runs the pipelines by itself (and makes up what it missed), and their monitors
  // check them: applied once the sample range is in, so the first check sees what the demo loaded.
  // A server that will not describe its schedules is a line, not a failed start.
  try {
    const applied = await applySchedules(client, { config, registry });
    say(`    schedules: ${applied.created.length} created, ${applied.updated.length} updated, ${applied.unchanged.length} unchanged (\`npm run schedules -- list\`)`);
  } catch (err) {
    say(`    schedules not applied (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); apply them later with \`npm run schedules -- apply\``);
  }

  printTable(results.sort((a, b) => a.pipeline.localeCompare(b.pipeline)));
  const waiting = sample.flatMap((s) => s.late.map((k) => `${s.pipeline.name}/${k}`));
  if (waiting.length) say(`Waiting for data that is still landing (it is not late yet): ${waiting.join(', ')}`);

  say('');
  say(`Web UI:    ${webUiListUrl(config, 'ExecutionStatus = "Running" OR ExecutionStatus = "Failed"')}`);
  say(`Pipelines: npm run graph (${registry.names().join(', ')})`);
  if (dashboardUrl) say(`Dashboard: ${dashboardUrl} (partition calendars, open alerts; \`npm run status\` in a terminal)`);
  say(`Lake:      ${path.relative(process.cwd(), lake.root)}/ (Parquet; query it, even while workers run, with \`npm run sql -- "SELECT count(*) FROM showroom.clickstream"\`)`);
  return results.reduce((n, r) => n + r.outcome.failed, 0);
}

/** What `npm start` loads: per pipeline, the partitions of the last `days` days in its scheme, and its generator if it has one. */
interface SamplePipeline {
  pipeline: PipelineDefinition;
  keys: string[];
  generator?: SampleGenerator;
  /** Keys still landing (no marker yet): run on their own, not backfilled. */
  late: string[];
}

/**
 * What npm start can load: pipelines whose files it can generate (their folder has a generator), and
 * upstream pipelines whose every upstream it loads. The others (a team's pipeline without a generator,
 * a function source) are left to their schedules: npm start cannot make their data.
 */
function samplePlan(registry: PipelineRegistry, nowMs: number, days: number): SamplePipeline[] {
  // One window for every time scheme: from midnight (UTC) `days` days back, so a day's downstream
  // partition finds all the hours it covers.
  const since = (Math.floor(nowMs / 86_400_000) - days) * 86_400_000;
  const loadable = (pipeline: PipelineDefinition): boolean => {
    if (pipeline.source.kind === 'files') return findGeneratorOf(registry, pipeline.name) !== undefined;
    if (pipeline.source.kind === 'upstream') return upstreamOf(pipeline).every((u) => loadable(registry.get(u)));
    return false;
  };
  return registry.all().filter(loadable).map((pipeline) => {
    const scheme = partitionSchemeOf(pipeline);
    const last = latestAvailablePartition(pipeline, nowMs);
    const firstIndex = scheme.indexOf(scheme.first)!;
    const from = scheme.isTime ? Math.max(firstIndex, scheme.indexOf(scheme.keyAt(since))!) : firstIndex;
    const keys = from <= scheme.indexOf(last)! ? [...scheme.range(scheme.keyOf(from), last)] : [];
    return { pipeline, keys, generator: findGeneratorOf(registry, pipeline.name), late: [] };
  });
}

function printTable(results: { pipeline: string; partitions: number; outcome: BackfillProgress }[]): void {
  const rows = results.map((r) => [r.pipeline, r.partitions, r.outcome.succeeded, r.outcome.skipped, r.outcome.failed, r.outcome.failures.map((f) => `${f.partition} (${f.failureClass})`).join(', ') || '-']);
  const header = ['pipeline', 'partitions', 'succeeded', 'already published', 'failed', 'failures'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor start')(err);
});
