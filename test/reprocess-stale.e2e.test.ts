/**
 * `npx conveyor backfill --reprocess stale` with no pipeline and no range: every stale partition of
 * every pipeline built from upstreams, upstream first. A chain of three (orders → daily_revenue → a
 * team's weekly table kept in CONVEYOR_PIPELINES_DIR) with one orders day republished: the walk reruns
 * that day of daily_revenue first, which makes the week that read it stale, then reruns the week, and
 * nothing is stale after. Real CLI processes, a real worker process, a real server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryLake } from '../client/lake';
import { discoverPipelines, pipelineRoots } from '../definitions/registry';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { runCli } from './helpers/cli';
import { startWorkerFleet, startWorkerProcess, type WorkerFleet } from './helpers/worker-process';

const WEEK_DAYS = ['2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08', '2024-03-09', '2024-03-10']; // 2024-W10
let teamDir: string;
let fleet: WorkerFleet;

const cli = (script: string, args: string[]) => runCli(script, args, fleet.workerEnv, 240_000);

before(async () => {
  teamDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-stale-chain-'));
  const folder = path.join(teamDir, 'revenue_weekly');
  fs.mkdirSync(folder);
  fs.writeFileSync(
    path.join(folder, 'definition.ts'),
    `import path from 'node:path';
import { definePipeline, loadSql } from 'conveyor/pipeline';

export const revenueWeekly = definePipeline({
  name: 'revenue_weekly',
  description: 'Revenue per ISO week and currency, from the 7 daily_revenue days it covers.',
  owner: 'finance-analytics@conveyor.example',
  partitions: { kind: 'weekly', first: '2024-W01', lag: 1 },
  freshnessObjectiveHours: 48,
  schedule: { at: 'mon 05:00', catchupWindowDays: 14, overlap: 'allow_all' },
  readiness: { pollIntervalSeconds: 60, timeoutSeconds: 3600 },
  quality: { maxRejectedRatio: 0 },
  steps: { timeoutSeconds: 600, maxAttempts: 3 },
  source: { kind: 'upstream', inputs: [{ pipeline: 'daily_revenue', mapping: { kind: 'covering' } }] },
  table: {
    columns: [{ name: 'currency', type: 'VARCHAR' }, { name: 'revenue', type: 'DECIMAL(16,2)' }],
    uniqueKey: ['currency'],
  },
  transform: { kind: 'sql', sql: loadSql(path.join(__dirname, 'weekly.sql')) },
});
`,
  );
  fs.writeFileSync(
    path.join(folder, 'weekly.sql'),
    `SELECT min(source_file) AS source_file, min(record_no) AS record_no, currency, sum(revenue)::DECIMAL(16,2) AS revenue, NULL::VARCHAR AS reject_reason
FROM daily_revenue GROUP BY currency\n`,
  );
  fleet = await startWorkerFleet('stale-chain', { CONVEYOR_PIPELINES_DIR: teamDir });
  await startWorkerProcess({ name: 'worker', queues: 'daily,backfill', env: fleet.workerEnv, logDir: fleet.dataDir });
}, START_HOOK_OPTIONS);
after(async () => {
  await fleet?.stop();
  if (teamDir) fs.rmSync(teamDir, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

describe('--reprocess stale across pipelines', () => {
  it('reruns every stale partition upstream first: the republished day of daily_revenue, then the week that read it', { timeout: 600_000 }, async () => {
    const registry = discoverPipelines(pipelineRoots(fleet.workerEnv));
    const query = async <T>(sql: string) => (await queryLake(fleet.config, sql, registry)).rows as T[];
    const ok = (what: string, ran: ReturnType<typeof cli>) => assert.equal(ran.status, 0, `${what}: ${ran.all}`);

    ok('generate', cli('generate', ['orders', '--from', WEEK_DAYS[0]!, '--to', WEEK_DAYS[6]!, '--rows', '200']));
    for (const [pipeline, from, to] of [['orders', WEEK_DAYS[0]!, WEEK_DAYS[6]!], ['daily_revenue', WEEK_DAYS[0]!, WEEK_DAYS[6]!], ['revenue_weekly', '2024-W10', '2024-W10']] as const) {
      ok(`backfill ${pipeline}`, cli('backfill', ['--pipeline', pipeline, '--from', from, '--to', to, '--json']));
    }
    assert.deepEqual(await query('SELECT * FROM meta.stale_partitions'), []);

    // An orders day republished: its daily_revenue day is stale; the week is not yet (it read the day's old run, still published).
    ok('rerun orders', cli('partition', ['orders', '2024-03-05', '--json']));
    const dry = cli('backfill', ['--reprocess', 'stale', '--dry-run']);
    ok('dry run', dry);
    assert.match(dry.stdout, /^2024-03-05 {2}stale: orders run .* since republished by /m);
    assert.match(dry.stderr, /^daily_revenue: 1 stale partition\(s\), 2024-03-05$/m);
    assert.match(dry.stderr, /^revenue_weekly: nothing stale$/m);

    const walk = cli('backfill', ['--reprocess', 'stale', '--json']);
    ok('reprocess stale', walk);
    const steps = walk.stderr.split('\n').filter((l) => /^\w+: (\d+ stale|nothing stale)/.test(l));
    assert.deepEqual(steps, [
      'customer_sessions: nothing stale',
      'daily_revenue: 1 stale partition(s), 2024-03-05',
      'revenue_weekly: 1 stale partition(s), 2024-W10',
    ]);
    assert.deepEqual(await query('SELECT * FROM meta.stale_partitions'), [], 'nothing stale after the walk');

    // The data holds: the week is the sum of its days, as republished.
    const [sums] = await query<{ week: string; days: string }>(
      `SELECT (SELECT sum(revenue) FROM showroom.revenue_weekly WHERE partition_key = '2024-W10')::VARCHAR AS week,
              (SELECT sum(revenue) FROM showroom.daily_revenue WHERE partition_key BETWEEN '2024-03-04' AND '2024-03-10')::VARCHAR AS days`,
    );
    assert.equal(sums!.week, sums!.days);
    const reruns = await query<{ pipeline: string; partition_key: string; n: bigint }>(
      `SELECT pipeline, partition_key, count(*) AS n FROM meta.partition_runs WHERE status = 'succeeded' AND pipeline <> 'orders' GROUP BY ALL HAVING n > 1 ORDER BY 1, 2`,
    );
    assert.deepEqual(reruns.map((r) => `${r.pipeline}/${r.partition_key}`), ['daily_revenue/2024-03-05', 'revenue_weekly/2024-W10'], 'exactly the stale partitions rerun');
  });
});
