/** What `conveyor start` runs once its stack is up: the sample range of every pipeline it can load, upstreams first. */
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { startPartitionRun } from '../../client/partition-runs';
import { landDemoSample, lateDownstreamKeys, samplePlan, type SamplePipeline } from '../../client/sample-data';
import { applySchedules } from '../../client/schedules';
import { walkUpstreamFirst } from '../../client/upstream-first';
import { webUiListUrl } from '../../common/web-ui';
import { startDashboard } from '../../dashboard/server';
import type { LakeLayout } from '../../lake/layout';
import type { BackfillProgress } from '../../workflows/backfill-input';
import type { Context } from '../context';
import { table } from '../output';
import type { Started } from './start-stack';

interface Outcome {
  pipeline: string;
  partitions: number;
  progress: BackfillProgress;
}

/** Steps 4 and 5: land the sample data, serve the dashboard, backfill each pipeline once its upstreams are in, apply the schedules. */
export async function loadSampleRange(
  ctx: Context,
  o: { days: number; rows?: number; started: Started; say: (line: string) => void },
): Promise<{ failed: number; dashboardUrl?: string }> {
  const plan = samplePlan(ctx.registry, Date.now(), o.days);
  o.say(`4/5 Generating ${o.days} day(s) of sample data into ${path.relative(process.cwd(), ctx.config.landingDir)}/ ...`);
  await landDemoSample(ctx.config, plan, o.rows);
  for (const s of plan.filter((p) => p.generator && p.keys.length > 0)) {
    const landing = s.late.length ? ` (${s.late.join(', ')} still landing)` : '';
    o.say(`    ${s.pipeline.name}: ${s.keys.length} ${s.pipeline.partitions.kind} partition(s), ${s.keys[0]} → ${s.keys[s.keys.length - 1]}${landing}`);
  }
  const dashboardUrl = await serveDashboard(ctx, o.started, o.say);
  o.say(`5/5 Backfilling the sample range of ${plan.length} pipelines, upstreams first ...`);
  const outcomes = await backfillUpstreamFirst(ctx, plan);
  await applySchedulesOrSay(ctx, o.say);
  console.log(outcomesTable(outcomes));
  const waiting = plan.flatMap((s) => s.late.map((k) => `${s.pipeline.name}/${k}`));
  if (waiting.length) o.say(`Waiting for data that is still landing (it is not late yet): ${waiting.join(', ')}`);
  return { failed: outcomes.reduce((n, r) => n + r.progress.failed, 0), dashboardUrl };
}

/**
 * The sample history as backfills (history is a backfill's job: never "late"), each pipeline once its
 * upstreams are in. A partition still landing (or reading one that is) gets its own run instead,
 * which waits for its data as a scheduled run would.
 */
async function backfillUpstreamFirst(ctx: Context, plan: SamplePipeline[]): Promise<Outcome[]> {
  const client = await ctx.client();
  const outcomes: Outcome[] = [];
  const byName = new Map(plan.map((s) => [s.pipeline.name, s]));
  await walkUpstreamFirst(ctx.registry, [...byName.keys()], async (pipeline) => {
    const s = byName.get(pipeline.name)!;
    s.late.push(...lateDownstreamKeys(ctx.registry, s.pipeline, s.keys, new Map(plan.map((u) => [u.pipeline.name, u.late]))));
    const keys = s.keys.filter((k) => !s.late.includes(k));
    if (keys.length > 0) {
      const backfill = await startBackfill(client, { pipeline: pipeline.name, from: keys[0]!, to: keys[keys.length - 1]!, maxConcurrency: 8 }, ctx.deployment);
      outcomes.push({ pipeline: pipeline.name, partitions: keys.length, progress: await backfill.handle.result() });
    }
    for (const key of s.late) await startPartitionRun(client, { pipeline: pipeline.name, partition: key, runKind: 'scheduled' }, ctx.deployment);
    return true;
  }, { concurrent: true });
  return outcomes.sort((a, b) => a.pipeline.localeCompare(b.pipeline));
}

/** The dashboard; a busy port is worth a line, not a failed start. */
async function serveDashboard(ctx: Context, started: Started, say: (line: string) => void): Promise<string | undefined> {
  try {
    const dashboard = await startDashboard({ ...ctx.deployment, port: ctx.config.dashboardPort });
    started.add('the dashboard', () => dashboard.close());
    return dashboard.url;
  } catch (err) {
    say(`    dashboard not started: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * From now on the server runs the pipelines by itself and their monitors check them: applied once the
 * sample range is in, so the first check sees what the demo loaded. A server that will not describe
 * its schedules is a line, not a failed start.
 */
async function applySchedulesOrSay(ctx: Context, say: (line: string) => void): Promise<void> {
  try {
    const applied = await applySchedules(await ctx.client(), ctx.deployment);
    say(`    schedules: ${applied.created.length} created, ${applied.updated.length} updated, ${applied.unchanged.length} unchanged (\`npx conveyor schedules list\`)`);
  } catch (err) {
    say(`    schedules not applied (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); apply them later with \`npx conveyor schedules apply\``);
  }
}

function outcomesTable(outcomes: Outcome[]): string {
  const header = ['pipeline', 'partitions', 'succeeded', 'already published', 'failed', 'failures'];
  const rows = outcomes.map((r) => [r.pipeline, r.partitions, r.progress.succeeded, r.progress.skipped, r.progress.failed, r.progress.failures.map((f) => `${f.partition} (${f.failureClass})`).join(', ') || '-']);
  return table(header, rows);
}

/** Where to look next: the Web UI, the HTTP API, the pipelines, the dashboard, the lake. */
export function printWhereToLook(ctx: Context, lake: LakeLayout, dashboardUrl: string | undefined): void {
  const say = (line: string) => console.error(line);
  say('');
  say(`Web UI:    ${webUiListUrl(ctx.config, 'ExecutionStatus = "Running" OR ExecutionStatus = "Failed"')}`);
  say(`HTTP API:  ${ctx.config.httpApiUrl} (services start and watch partitions with curl: docs/services.md)`);
  say(`Pipelines: npx conveyor graph (${ctx.registry.names().join(', ')})`);
  if (dashboardUrl) say(`Dashboard: ${dashboardUrl} (partition calendars, open alerts; \`npx conveyor status\` in a terminal)`);
  say(`Lake:      ${path.relative(process.cwd(), lake.root)}/ (Parquet; query it, even while workers run, with \`npx conveyor sql "SELECT count(*) FROM showroom.clickstream"\`)`);
}
