/** The monitor's pure rules: partition states, freshness, checks, alert reconciliation and payloads. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../platform/config';
import { alertKey, alertText, PLAYBOOKS, reconcileAlerts, redactUrl, slackPayload, type Alert } from '../monitoring/alerts';
import { evaluateChecks } from '../monitoring/checks';
import { freshnessOf, describeFreshness, median, partitionCells, partitionState, type PartitionFacts } from '../monitoring/partition-states';
import { definePipeline, monitorWindowOf, partitionSchemeOf } from '../definitions/definition';
import { ordersPipeline } from '../pipelines/orders/definition';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const published = (partition: string, rows: number, publishedAt = `${partition}T23:00:00Z`, runKind = 'scheduled'): PartitionFacts => ({
  partition,
  published: { runId: `run-${partition}`, rows, publishedAt, runKind },
  lastRun: { runId: `run-${partition}`, workflowId: `orders.${partition}`, runKind, status: 'succeeded', failureClass: null, failureStep: null, failureReason: null, rowsIn: rows, rowsRejected: 0, rowsPublished: rows, finishedAt: publishedAt, checksFailed: [] },
});

const days = partitionSchemeOf(ordersPipeline);

describe('partition states', () => {
  const now = at('2024-03-10T12:00:00Z');
  it('running wins; then failed; late is published after the deadline by a non-backfill run; missing is past the deadline with nothing run', () => {
    const objective = 30; // deadline of 2024-03-01: 2024-03-02T00:00Z + 30 h = 2024-03-03T06:00Z
    assert.equal(partitionState(days, { ...published('2024-03-01', 5), running: { workflowId: 'w', runId: 'r' } }, objective, now), 'running');
    assert.equal(partitionState(days, { ...published('2024-03-01', 5), lastRun: { ...published('2024-03-01', 5).lastRun!, status: 'failed' } }, objective, now), 'failed');
    assert.equal(partitionState(days, published('2024-03-01', 5, '2024-03-03T05:59:00Z'), objective, now), 'published');
    assert.equal(partitionState(days, published('2024-03-01', 5, '2024-03-03T06:01:00Z'), objective, now), 'late');
    assert.equal(partitionState(days, published('2024-03-01', 5, '2024-03-09T00:00:00Z', 'backfill'), objective, now), 'published', 'a backfill is never late');
    assert.equal(partitionState(days, published('2024-03-01', 5, '2024-03-09T00:00:00Z', 'manual'), objective, now), 'published', "nor an operator's rerun");
    assert.equal(partitionState(days, published('2024-03-01', 5, '2024-03-09T00:00:00Z', 'event'), objective, now), 'late');
    const failedRun = { ...published('2024-03-01', 5).lastRun!, status: 'failed' as const };
    assert.equal(partitionState(days, { partition: '2024-03-01', lastRun: failedRun, skipped: { by: 'alice', reason: 'store closed' } }, objective, now), 'skipped', 'a skip waives a failed day');
    assert.equal(partitionState(days, { partition: '2024-03-01', skipped: { by: 'alice', reason: 'vendor holiday' } }, objective, now), 'skipped');
    assert.equal(partitionState(days, { partition: '2024-03-01' }, objective, now), 'missing');
    assert.equal(partitionState(days, { partition: '2024-03-01', backfill: 'backfill.orders.2024-03-01..2024-03-09.missing.oldest-first' }, objective, now), 'pending', 'a running backfill will reach it');
    assert.equal(partitionState(days, { partition: '2024-03-09' }, objective, now), 'pending', 'deadline 2024-03-11T06:00Z not reached');
  });

  it('freshness: lag from the end of the newest published day', () => {
    const f = freshnessOf(days, '2024-03-09', 30, now);
    assert.deepEqual([f.lagHours, f.late], [12, false]);
    assert.equal(describeFreshness(f), 'fresh (lag 12.0 h, objective 30 h)');
    const late = freshnessOf(days, '2024-03-07', 30, now);
    assert.deepEqual([late.lagHours, late.late], [60, true]);
    assert.equal(describeFreshness(late), 'late by 30.0 h (lag 2.5 d, objective 30 h)');
    assert.equal(describeFreshness(freshnessOf(days, null, 30, now)), 'nothing published yet');
    const keys = partitionSchemeOf(definePipeline({ ...ordersPipeline, name: 'by_region', partitions: { kind: 'static', keys: ['eu', 'us'] } }));
    assert.equal(describeFreshness(freshnessOf(keys, 'us', 30, now)), 'a key set has no lag: each key is watched for failed or missing runs', 'published keys are not "nothing published"');
    assert.equal(freshnessOf(days, null, 30, now).late, true);
    assert.equal(freshnessOf(days, null, 30, now, '2024-03-09').late, false, 'nothing published is not late before the first partition is due');
    assert.equal(freshnessOf(days, null, 30, now, '2024-03-08').late, true);
  });

  it('median', () => {
    assert.equal(median([]), undefined);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
});

describe('checks', () => {
  const pipeline = definePipeline({ ...ordersPipeline, monitors: { windowPartitions: 5, rowCount: { trailingPartitions: 3, minRatio: 0.5, maxRatio: 2 } } });
  const now = at('2024-03-10T12:00:00Z');
  const cellsOf = (facts: PartitionFacts[]) => partitionCells(days, new Map(facts.map((f) => [f.partition, f])), { from: '2024-03-01', to: '2024-03-09' }, 30, now);

  it('flags a drop and a spike against the trailing median, a failed and a missing partition, and a high reject ratio', () => {
    const failedRun = { ...published('2024-03-07', 0).lastRun!, status: 'failed' as const, failureClass: 'data', failureStep: 'transform', failureReason: '40 of 400 rows rejected', rowsRejected: 40, rowsIn: 400 };
    const facts = [
      published('2024-03-01', 1000),
      published('2024-03-02', 1000),
      published('2024-03-03', 1000),
      published('2024-03-04', 1000),
      published('2024-03-05', 400), // drop: 40% of 1000
      published('2024-03-06', 2500), // spike: 250% of the median of 1000, 1000, 400
      { partition: '2024-03-07', lastRun: failedRun },
      // 2024-03-08: missing
      { ...published('2024-03-09', 1000), lastRun: { ...published('2024-03-09', 1000).lastRun!, rowsIn: 1000, rowsRejected: 8, checksFailed: [{ name: 'four_currencies', severity: 'warn' as const, failedRows: 1 }] } },
    ];
    const conditions = evaluateChecks(pipeline, cellsOf(facts), freshnessOf(days, '2024-03-09', 30, now));
    assert.deepEqual(
      conditions.map((c) => [c.condition, c.partition, c.failureClass]),
      [
        ['row_count_drop', '2024-03-05', null],
        ['row_count_spike', '2024-03-06', null],
        ['failed', '2024-03-07', 'data'],
        ['missing', '2024-03-08', null],
        ['reject_ratio', '2024-03-09', null],
        ['check_warning', '2024-03-09', null],
      ],
    );
    assert.match(conditions[0]!.summary, /published 400 rows, 40% of the median 1000 of the 3 partitions before it/);
    assert.match(conditions[4]!.summary, /rejected 8 of 1000 rows \(0\.80%, warning above 0\.50%\)/);
    assert.equal(conditions[5]!.summary, 'partition 2024-03-09 was published with check four_currencies broken by 1 row(s)');
  });

  it('no row-count verdict without three partitions before it; partitions before the window raise nothing', () => {
    const facts = [published('2024-03-01', 10), { partition: '2024-03-02' }, published('2024-03-05', 1000), published('2024-03-06', 10)];
    const conditions = evaluateChecks(pipeline, cellsOf(facts), freshnessOf(days, '2024-03-06', 30, now));
    assert.deepEqual(conditions.map((c) => [c.condition, c.partition]), [
      ['freshness', null],
      ['missing', '2024-03-07'],
      ['missing', '2024-03-08'],
    ]);
  });
});

describe('alerts', () => {
  const alert = (condition: Alert['condition'], partition: string | null): Alert => ({
    condition,
    partition,
    severity: 'critical',
    summary: 'something',
    runId: 'r1',
    workflowId: 'orders.2024-03-01',
    failureClass: condition === 'failed' ? 'data' : null,
    key: alertKey('orders', { condition, partition }),
    pipeline: 'orders',
    owner: 'team@example',
    webUiUrl: 'http://ui/run',
    playbook: 'docs/runbook.md#x',
    openedAt: '2024-03-10T00:00:00Z',
  });

  it('raises what is new, keeps what stays open (as first raised), resolves what cleared', () => {
    const first = reconcileAlerts([], [alert('freshness', null), alert('failed', '2024-03-01')], 't1');
    assert.deepEqual(first.events.map((e) => [e.kind, e.alert.key]), [['raised', 'orders:freshness'], ['raised', 'orders:failed:2024-03-01']]);
    const again = reconcileAlerts(first.open, [{ ...alert('freshness', null), openedAt: 'later' }, alert('failed', '2024-03-01')], 't2');
    assert.deepEqual(again.events, []);
    assert.equal(again.open[0]!.openedAt, '2024-03-10T00:00:00Z');
    const cleared = reconcileAlerts(again.open, [alert('failed', '2024-03-01')], 't3');
    assert.deepEqual(cleared.events.map((e) => [e.kind, e.alert.key, e.at]), [['resolved', 'orders:freshness', 't3']]);
    assert.deepEqual(cleared.open.map((a) => a.key), ['orders:failed:2024-03-01']);
    assert.equal(cleared.events[0]!.id, 'orders:freshness@t3');
    // A partition that left the checked window was not checked: its alert expires without a "resolved".
    const aged = reconcileAlerts(cleared.open, [], 't4', '2024-03-02');
    assert.deepEqual([aged.events, aged.open, aged.expired.map((a) => a.key)], [[], [], ['orders:failed:2024-03-01']]);
  });

  it('a Slack-compatible payload names owner, pipeline, partition, condition with class, run, playbook and links the run', () => {
    const payload = slackPayload({ id: 'x', kind: 'raised', at: 't', alert: { ...alert('failed', '2024-03-01'), summary: 'something <!channel>' } });
    assert.equal(payload.text, 'CRITICAL failed on orders 2024-03-01 (owner team@example): something &lt;!channel&gt;; run r1', 'data cannot ping a channel');
    const text = JSON.stringify(payload.blocks);
    for (const s of ['team@example', 'orders', '2024-03-01', 'failed (data)', 'r1', 'docs/runbook.md#x', 'http://ui/run']) assert.ok(text.includes(s), s);
    assert.equal(alertText({ id: 'x', kind: 'resolved', at: 't', alert: alert('freshness', null) }), 'RESOLVED freshness on orders (owner team@example), open since 2024-03-10T00:00:00Z');
  });

  it('a webhook URL is shown as scheme and host only, in logs and in config errors', () => {
    assert.equal(redactUrl('https://hooks.slack.com/services/T0/B0/secret'), 'https://hooks.slack.com/…');
    assert.throws(() => loadConfig({ CONVEYOR_ALERT_WEBHOOK_URL: 'ftp://hooks.example/services/secret' }), (err: Error) => {
      assert.equal(err.message, 'invalid CONVEYOR_ALERT_WEBHOOK_URL="ftp://hooks.example/***": expected an http(s) URL');
      return true;
    });
    assert.throws(() => loadConfig({ CONVEYOR_ALERT_WEBHOOK_URL: 'ftp://user:token@hooks.example/x' }), (err: Error) => !err.message.includes('token'));
    assert.throws(() => loadConfig({ CONVEYOR_ALERT_WEBHOOK_URL: 'hooks.example/services/secret' }), /="\*\*\*": expected an http\(s\) URL$/);
    assert.throws(() => loadConfig({ CONVEYOR_ALERT_SINKS: 'log,pager' }), /^ConfigError: invalid CONVEYOR_ALERT_SINKS="log,pager": expected a comma-separated list of log, jsonl, webhook$/);
    assert.throws(() => loadConfig({ CONVEYOR_METRICS_PORT: '70000' }), /^ConfigError: invalid CONVEYOR_METRICS_PORT="70000"/);
  });

  it('a definition declares its checks, with defaults for what it leaves out', () => {
    assert.deepEqual(ordersPipeline.monitors, { everyMinutes: 5, rowCount: { trailingPartitions: 7, minRatio: 0.5, maxRatio: 2 }, alerts: {} });
    assert.equal(monitorWindowOf(ordersPipeline), 14, 'a daily pipeline watches its newest 14 days by default');
    assert.throws(() => definePipeline({ ...ordersPipeline, monitors: { alerts: { sinks: ['pager' as 'log'] } } }), /^PipelineDefinitionError: pipeline 'orders': monitors\.alerts\.sinks\.0: /);
  });
});

describe('docs stay true', () => {
  const ROOT = path.resolve(__dirname, '..');
  it('every alert playbook is a section of the runbook', () => {
    const runbook = fs.readFileSync(path.join(ROOT, 'docs/runbook.md'), 'utf8');
    // GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    const anchors = new Set([...runbook.matchAll(/^#+ (.*)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    for (const playbook of Object.values(PLAYBOOKS)) {
      const [file, anchor] = playbook.split('#');
      assert.equal(file, 'docs/runbook.md');
      assert.ok(anchors.has(anchor!), `${anchor} is a heading of docs/runbook.md`);
    }
  });
  it('every configuration variable is documented in .env.example', () => {
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    for (const name of CONFIG_VARIABLES) assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), name);
  });
});
