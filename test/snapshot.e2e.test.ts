/**
 * One run, one version of its pipeline: a run resolves its pipeline's definition when it starts and
 * hands that snapshot to every step. A team's definition (CONVEYOR_PIPELINES_DIR) is edited and the
 * worker restarted while a run waits for its data: that run still publishes with the SQL and settings
 * it started with (its snapshot is in its history), and the next run gets the new ones. Real CLI and
 * worker processes, a real server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryLake } from '../client/lake';
import { discoverPipelines, pipelineRoots } from '../definitions/registry';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS, waitFor } from './helpers/bounds';
import { runCli } from './helpers/cli';
import { startWorkerFleet, startWorkerProcess, stopWorkerProcess, type WorkerFleet } from './helpers/worker-process';

let teamDir: string;
let fleet: WorkerFleet;

/** The definition of `snap_feed` at one version: its SQL stamps every row with the version. */
const definitionAt = (version: string, timeoutSeconds: number) => `import { definePipeline } from 'conveyor/pipeline';

export const snapFeed = definePipeline({
  name: 'snap_feed',
  description: 'A feed whose definition changes while a run waits.',
  owner: 'data-platform@conveyor.example',
  partitions: { kind: 'daily', first: '2024-01-01', lag: 1 },
  freshnessObjectiveHours: 48,
  schedule: { at: '04:00', catchupWindowDays: 3, overlap: 'allow_all' },
  source: { kind: 'files', format: 'csv', filePattern: /^part-\\d+\\.csv$/, columns: ['id', 'amount'], marker: '_SUCCESS' },
  readiness: { pollIntervalSeconds: 1, timeoutSeconds: ${timeoutSeconds} },
  quality: { maxRejectedRatio: 0 },
  table: {
    columns: [{ name: 'id', type: 'VARCHAR' }, { name: 'amount', type: 'DECIMAL(12,2)' }, { name: 'version', type: 'VARCHAR' }],
    uniqueKey: ['id'],
  },
  transform: { kind: 'sql', sql: "SELECT source_file, record_no, id, amount::DECIMAL(12,2) AS amount, '${version}' AS version, NULL::VARCHAR AS reject_reason FROM raw" },
  steps: { timeoutSeconds: 120, maxAttempts: 3 },
});
`;

const cli = (script: string, args: string[]) => runCli(script, args, fleet.workerEnv);

function land(partition: string): void {
  const dir = path.join(fleet.config.landingDir, 'snap_feed', `date=${partition}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'part-0001.csv'), `id,amount\n${partition}-a,1.50\n${partition}-b,2.50\n`);
  fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
}

before(async () => {
  teamDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-snapshot-'));
  fs.mkdirSync(path.join(teamDir, 'snap_feed'));
  fs.writeFileSync(path.join(teamDir, 'snap_feed', 'definition.ts'), definitionAt('v1', 600));
  fleet = await startWorkerFleet('snapshot', { CONVEYOR_PIPELINES_DIR: teamDir });
}, START_HOOK_OPTIONS);
after(async () => {
  await fleet?.stop();
  if (teamDir) fs.rmSync(teamDir, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

describe('a run keeps the definition it started with', () => {
  it('a definition edited and the worker restarted while a run waits for data: that run publishes with its old SQL, the next run with the new', { timeout: 300_000 }, async () => {
    const first = await startWorkerProcess({ name: 'worker-v1', queues: 'daily', env: fleet.workerEnv, logDir: fleet.dataDir });
    const started = cli('partition', ['snap_feed', '2024-03-01', '--wait-for-data', '--no-wait']);
    assert.equal(started.status, 0, started.all);
    await waitFor(() => first.lines().some((l) => l.msg === 'awaitLanding failed' && l.partition === '2024-03-01'), 'the run to wait for its data');

    // A deploy: the definition changes (its SQL, its readiness deadline), the worker restarts.
    fs.writeFileSync(path.join(teamDir, 'snap_feed', 'definition.ts'), definitionAt('v2', 900));
    await stopWorkerProcess(first);
    await startWorkerProcess({ name: 'worker-v2', queues: 'daily', env: fleet.workerEnv, logDir: fleet.dataDir });
    land('2024-03-01');
    const waited = (await fleet.env.client.workflow.getHandle('snap_feed.2024-03-01').result()) as { status: string };
    assert.equal(waited.status, 'succeeded');

    land('2024-03-02');
    const next = cli('partition', ['snap_feed', '2024-03-02', '--json']);
    assert.equal(next.status, 0, next.all);

    const registry = discoverPipelines(pipelineRoots(fleet.workerEnv));
    const { rows } = await queryLake(fleet.config, 'SELECT partition_key, version, count(*) AS n FROM showroom.snap_feed GROUP BY ALL ORDER BY 1', registry);
    const runs = (await queryLake(fleet.config, "SELECT partition_key, run_id, status, failure_reason FROM meta.partition_runs ORDER BY finished_at", registry)).rows;
    assert.equal(runs.filter((r) => r.partition_key === '2024-03-01').length, 1, `one run of 2024-03-01, the one that waited: ${JSON.stringify(runs)}`);
    assert.deepEqual(rows, [
      { partition_key: '2024-03-01', version: 'v1', n: '2' },
      { partition_key: '2024-03-02', version: 'v2', n: '2' },
    ]);
    // The snapshot is in the run's history (the result of its first, local, step): v1's SQL and deadline.
    const { events } = await fleet.env.client.workflow.getHandle('snap_feed.2024-03-01').fetchHistory();
    const marker = (events ?? []).find((e) => e.markerRecordedEventAttributes)?.markerRecordedEventAttributes;
    const recorded = Object.values(marker?.details ?? {}).flatMap((p) => p.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString()).join('');
    assert.match(recorded, /'v1' AS version/);
    assert.match(recorded, /"timeoutSeconds":600/);
  });
});
