/**
 * The bench's "many" section: N published partitions of one hourly pipeline (11 years of hours at
 * 100,000), written straight into a temporary lake (one Parquet file and one run record each, no runs
 * needed), and how long what an operator or a run asks of them takes: `npm run status`'s report, the
 * dashboard's page, the backfill planner's first chunk, a readiness check of a day covering 24 of them.
 */
import { activityDeps } from '../activities/deps';
import { landingOf } from '../landing/landing-zone';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makePlanBackfillChunk } from '../activities/plan-backfill';
import { statusReport } from '../client/status';
import { loadConfig } from '../platform/config';
import { PartitionScheme } from '../common/partitions';
import { dashboardPage } from '../dashboard/page';
import { versionMetadataOption } from '../lake/commit';
import { withDuckDB } from '../lake/duckdb';
import { LakeLayout } from '../lake/layout';
import { writeManifest } from '../lake/runs';
import { clickstreamPipeline } from '../pipelines/clickstream/definition';
import { definePipeline } from '../definitions/definition';
import { PipelineRegistry } from '../definitions/registry';
import { upstreamSource } from '../sources/upstream';

export interface ManyFigure {
  name: string;
  ms: number;
}

/** Write `n` hourly partitions ending at `nowMs`'s newest available hour, then time the four reads. */
export async function measureManyPartitions(n: number, nowMs: number, say: (line: string) => void): Promise<ManyFigure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-bench-many-'));
  try {
    const hours = new PartitionScheme(clickstreamPipeline.partitions);
    const last = hours.latestAt(nowMs);
    const first = hours.next(last, -(n - 1))!;
    const events = definePipeline({ ...clickstreamPipeline, name: 'many_events', partitions: { kind: 'hourly', first, lag: 1 } });
    const days = definePipeline({
      ...clickstreamPipeline,
      name: 'many_days',
      partitions: { kind: 'daily', first: first.slice(0, 10), lag: 1 },
      schedule: { at: '03:00', catchupWindowDays: 7, overlap: 'allow_all' },
      source: { kind: 'upstream', inputs: [{ pipeline: 'many_events', mapping: { kind: 'covering' } }] },
    });
    const registry = new PipelineRegistry([events, days]);
    const config = loadConfig({ ...process.env, CONVEYOR_DATA_DIR: dir });
    const lake = new LakeLayout(config.lakeDir);

    say(`  writing ${n} published partitions of an hourly pipeline, ${first} → ${last} ...`);
    const template = path.join(dir, 'template.parquet');
    await withDuckDB((db) =>
      // Stamped with the version of the run whose record says it published it, as every published file is.
      db.run(
        `COPY (SELECT 'e1' AS event_id, 'C1' AS customer_id, TIMESTAMP '2024-01-01 00:00:00' AS event_at, '/' AS page, 'view' AS event_type, 'run-bench' AS run_id)
         TO '${template}' (FORMAT parquet, ${versionMetadataOption({ scheduledMs: 1, runId: 'run-bench', workflowId: 'many_events', attempt: 1 })})`,
      ),
    );
    for (const key of hours.range(first, last)) {
      const file = lake.publishedFile('many_events', key);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      await fs.promises.copyFile(template, file);
      const at = new Date(hours.windowOf(key).endMs + 600_000);
      await writeManifest(lake, {
        run_id: 'run-bench', workflow_id: `many_events/${key}`, pipeline: 'many_events', partition_key: key, run_kind: 'scheduled', backfill_id: null,
        status: 'succeeded', failure_class: null, failure_step: null, failure_reason: null,
        rows_in: 1, rows_rejected: 0, rows_duplicate: 0, rows_published: 1, files: [], attempts: {}, durations_ms: {},
        started_at: at.toISOString(), finished_at: at.toISOString(), overrides: [], upstream: [],
      });
    }

    const timed = async (name: string, fn: () => Promise<unknown> | unknown): Promise<ManyFigure> => {
      const started = performance.now();
      await fn();
      const ms = Math.round(performance.now() - started);
      say(`  ${name}: ${ms} ms`);
      return { name, ms };
    };
    const plan = makePlanBackfillChunk(activityDeps(config, registry, lake));
    return [
      await timed(`${n} partitions: npm run status (7 days)`, () => statusReport(config, registry, { serverUnavailable: 'the bench asks the lake only', days: 7, nowMs })),
      await timed(`${n} partitions: the dashboard page (28 days)`, async () => String(dashboardPage(await statusReport(config, registry, { serverUnavailable: 'the bench asks the lake only', days: 28, nowMs })))),
      await timed(`${n} partitions: the backfill planner's first chunk (500)`, () =>
        plan({ pipeline: 'many_events', from: first, to: last, reprocess: 'missing', order: 'oldest-first', cursor: first, limit: 500 }),
      ),
      await timed(`${n} partitions: a readiness check of a day covering 24 of them`, () =>
        upstreamSource.readiness({ deps: { registry, landing: landingOf(config), lake }, pipeline: days, source: days.source as never, partition: last.slice(0, 10) }),
      ),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
