/**
 * Test harness: a real Temporal dev server (the project's CLI binary, random free ports, in-memory
 * database) or a server the test started itself, a worker on a unique task queue, a temporary data
 * dir with its own lake.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { loadConfig, type ConveyorConfig } from '../../platform/config';
import { CONVEYOR_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { definePipeline, type PipelineDefinition } from '../../definitions/definition';
import { deploymentRegistry, PipelineRegistry } from '../../definitions/registry';
import { serverTuningArgs } from '../../scripts/lib/dev-server';
import { findTemporalCli } from '../../scripts/lib/temporal-cli';
import type { Row } from '../../lake/duckdb';
import { LakeLayout } from '../../lake/layout';
import { withLakeReader } from '../../lake/reader';
import { createActivities } from '../../activities';
import { activityDeps, type ActivityDeps } from '../../activities/deps';
import { createConveyorWorkers } from '../../workers/create-worker';
import { installRuntime } from '../../workers/runtime';
import { createLogger, setLogger } from '../../platform/logger';
import { Gates, waitFor, within } from './bounds';

export async function startTestServer(options: { uiPort?: number } = {}): Promise<TestWorkflowEnvironment> {
  const cli = findTemporalCli();
  if (!cli || cli.kind !== 'path') {
    throw new Error('no Temporal CLI: run `npm run temporal-cli` (npm test does it for you)');
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      searchAttributes: CONVEYOR_SEARCH_ATTRIBUTES,
      extraArgs: serverTuningArgs({ persistent: false }),
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
    },
  });
}

export interface Harness {
  env: TestWorkflowEnvironment;
  config: ConveyorConfig;
  lake: LakeLayout;
  /** Query the lake through the same views as `npx conveyor sql`. */
  query<T extends Row = Row>(sql: string): Promise<T[]>;
  registry: PipelineRegistry;
  workers: Worker[];
  /** Captured log lines (JSON objects) from activities and the worker. */
  logLines: Record<string, unknown>[];
  /** Gates for stubbed steps; all released by `reset()` and `stop()`. */
  gates: Gates;
  /**
   * End what a test left behind (call it in `afterEach`): release every gate, terminate every
   * workflow still running on the server (abandoned children included), and wait until the workers
   * have no step in flight, so one failed test cannot leak work into the tests after it.
   */
  reset(): Promise<void>;
  /** Release the gates, drain the workers, stop the server (unless options.server): each bounded, failing with a name. */
  stop(): Promise<void>;
}

export interface HarnessOptions {
  registry?: PipelineRegistry;
  activities?: object;
  backfillActivitySlots?: number;
  /** Extra environment for the harness's config (alert sinks, webhook URL, ...). */
  env?: Record<string, string>;
  /** Serve the Temporal Web UI on this port too (for tests that follow links into it). */
  uiPort?: number;
  /**
   * Run the worker against this server, already running (the test starts and stops it, e.g. the
   * dev server as `npm start` runs it), instead of starting one. `stop()` leaves it running.
   */
  server?: { address: string; namespace?: string };
  /** Gates the test's stubs wait on (a fresh set by default). */
  gates?: Gates;
  /** Wrap the real activities' dependencies, e.g. a landing zone whose reads fail at first. */
  wrapDeps?: (deps: ActivityDeps) => ActivityDeps;
}

/** One server per test file; call `stop()` in `after`. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logLines: Record<string, unknown>[] = [];
  setLogger(createLogger('info', { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) }));
  installRuntime();
  if (options.server && options.uiPort !== undefined) throw new Error('startHarness: uiPort is for a server the harness starts, not for options.server');
  const env = options.server
    ? await TestWorkflowEnvironment.createFromExistingServer({ address: options.server.address, namespace: options.server.namespace })
    : await startTestServer({ uiPort: options.uiPort });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-test-'));
  const config = loadConfig({
    ...process.env,
    CONVEYOR_DATA_DIR: dataDir,
    CONVEYOR_TASK_QUEUE: `test-daily-${randomUUID()}`,
    CONVEYOR_BACKFILL_TASK_QUEUE: `test-backfill-${randomUUID()}`,
    CONVEYOR_BACKFILL_ACTIVITY_SLOTS: String(options.backfillActivitySlots ?? 8),
    ...options.env,
  });
  const registry = options.registry ?? deploymentRegistry();
  const lake = new LakeLayout(config.lakeDir);
  const deps = (options.wrapDeps ?? ((d: ActivityDeps) => d))(activityDeps(config, registry, lake));
  const workers = await createConveyorWorkers(
    {
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      deps,
      workflowBundlePath: config.workflowBundlePath,
      // Stubs replace the activities they name; the others are the real ones.
      activities: options.activities ? { ...createActivities(deps), ...options.activities } : undefined,
      shutdown: { graceTime: '1 second', forceTime: '10 seconds' },
    },
    config,
  );
  const running = Promise.all(workers.map((w) => w.run()));
  const gates = options.gates ?? new Gates();
  return {
    env,
    config,
    lake,
    query: <T extends Row = Row>(sql: string) => withLakeReader(lake, registry, (db) => db.query<T>(sql)),
    registry,
    workers,
    logLines,
    gates,
    async reset() {
      gates.releaseAll();
      await within('terminating the workflows a test left running', 60_000, terminateRunningWorkflows(env));
      await waitFor(() => workers.every((w) => w.getStatus().numInFlightActivities === 0), 'the workers to finish their steps', 15_000);
    },
    async stop() {
      gates.releaseAll();
      try {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await within('worker shutdown', 30_000, running);
      } finally {
        try {
          await within('Temporal server teardown', 20_000, env.teardown());
        } finally {
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      }
    },
  };
}

/** Terminate every running workflow in the test server's namespace and wait until none runs. */
export async function terminateRunningWorkflows(env: TestWorkflowEnvironment): Promise<void> {
  const running = async () => {
    const ids: { workflowId: string; runId: string }[] = [];
    for await (const wf of env.client.workflow.list({ query: `ExecutionStatus = 'Running'` })) ids.push({ workflowId: wf.workflowId, runId: wf.runId });
    return ids;
  };
  for (;;) {
    const left = await running();
    if (left.length === 0) return;
    await Promise.all(
      left.map(({ workflowId, runId }) =>
        env.client.workflow.getHandle(workflowId, runId).terminate('test ended: terminated by the harness').catch(() => undefined), // already closed
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // visibility catches up
  }
}

/** Where recorded histories live; replay.test.ts replays every one of them. */
export const FIXTURES_DIR = path.join(__dirname, '..', 'fixtures');

/**
 * With RECORD_REPLAY_FIXTURES=1, save a run's history as `test/fixtures/<name>.history.json`
 * (protobufjs JSON, read back with History.fromObject).
 */
export async function recordFixture(env: TestWorkflowEnvironment, name: string, workflowId: string, runId?: string): Promise<void> {
  if (process.env.RECORD_REPLAY_FIXTURES !== '1') return;
  const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  fs.mkdirSync(FIXTURES_DIR, { recursive: true });
  fs.writeFileSync(path.join(FIXTURES_DIR, `${name}.history.json`), JSON.stringify(history, null, 1));
}

/** Every file under `dir` (recursively), as paths relative to it; empty when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

/**
 * Every workflow the visibility store finds for `query`, once it has `want` of them and none runs (or
 * `timeoutMs` has passed: then what it found, for the test's assertion to show).
 */
export async function workflowsWhere(env: TestWorkflowEnvironment, query: string, want: number, timeoutMs = 60_000): Promise<{ workflowId: string; type: string; status: string }[]> {
  let found: { workflowId: string; type: string; status: string }[] = [];
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 300))) {
    found = [];
    for await (const wf of env.client.workflow.list({ query })) found.push({ workflowId: wf.workflowId, type: wf.type, status: wf.status.name });
    if (found.length === want && found.every((f) => f.status !== 'RUNNING')) break;
  }
  return found.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

/** Readiness settings of a test's pipelines (a run takes them from its definition, never from its input). */
export type ReadinessOf = Record<string, Partial<PipelineDefinition['readiness']>>;

/** `registry`'s pipelines, with the readiness of some of them changed: the definitions a test deploys. */
export function withReadiness(registry: PipelineRegistry, readiness: ReadinessOf): PipelineRegistry {
  for (const name of Object.keys(readiness)) registry.get(name);
  const folders = new Map<PipelineDefinition, string>();
  const pipelines = registry.all().map((p) => {
    const changed = readiness[p.name] ? definePipeline({ ...p, readiness: { ...p.readiness, ...readiness[p.name] } }) : p;
    const folder = registry.folderOf(p.name);
    if (folder !== undefined) folders.set(changed, folder);
    return changed;
  });
  return new PipelineRegistry(pipelines, folders);
}
