/**
 * The monitor, against a real local Temporal server with real activities and a lake built by real
 * partition runs (test/helpers/monitor-scenario.ts): one alert per condition, deduplicated while
 * open, resolved when it clears; a failed partition alerts with its class; the webhook (a local HTTP
 * server) gets Slack-compatible payloads and, when it keeps failing, monitoring goes on without it
 * and its URL is never logged; `npx conveyor status --json` agrees with the lake; the monitor Schedule
 * runs the monitor.
 */
import { conveyorArgv } from './helpers/cli';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { applySchedules } from '../client/schedules';
import { monitorScheduleIdOf } from '../common/workflow-ids';
import type { AlertEvent } from '../monitoring/alerts';
import type { StatusReport } from '../client/status';
import type { PipelineMonitorResult } from '../workflows/pipeline-monitor';
import { recordFixture, startHarness, type Harness } from './helpers/harness';
import { buildScenario, scenarioPipeline, scenarioRegistry, type Scenario } from './helpers/monitor-scenario';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';

const WEBHOOK_SECRET = 'T000-secret-B000';
let h: Harness;
let scenario: Scenario;
let webhook: http.Server;
const received: { body: { text: string; blocks: { type: string; fields?: { text: string }[]; elements?: { url: string }[] }[] } }[] = [];
let webhookFails = false;
let monitorRuns = 0;

const monitor = (): Promise<PipelineMonitorResult> =>
  h.env.client.workflow.execute('pipelineMonitor', { taskQueue: h.config.taskQueue, workflowId: `orders.monitor-test-${++monitorRuns}`, args: [{ pipeline: 'orders' }] });
const jsonl = (): AlertEvent[] =>
  fs.existsSync(h.config.alerts.file) ? fs.readFileSync(h.config.alerts.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AlertEvent) : [];

before(async () => {
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (webhookFails) return void res.writeHead(503).end('down');
      received.push({ body: JSON.parse(body) as (typeof received)[number]['body'] });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/services/${WEBHOOK_SECRET}`;
  h = await startHarness({
    registry: scenarioRegistry(scenarioPipeline()),
    env: { CONVEYOR_ALERT_SINKS: 'log,jsonl,webhook', CONVEYOR_ALERT_WEBHOOK_URL: url },
  });
  scenario = await buildScenario(h, h.registry.get('orders'));
}, START_HOOK_OPTIONS);
after(async () => {
  await h?.stop();
  webhook?.close();
}, STOP_HOOK_OPTIONS);

describe('monitor', () => {
  it('raises one alert per condition, with owner, partition, run, Web UI link and playbook, and delivers it to every sink', async () => {
    const result = await monitor();
    const { failed, missing, drop, late } = scenario;
    assert.deepEqual(result.raised.sort(), ['orders:failed:' + failed, 'orders:freshness', 'orders:missing:' + missing, 'orders:row_count_drop:' + drop].sort());
    assert.deepEqual(result.undelivered, []);
    assert.equal(result.freshness, 'late');
    await recordFixture(h.env, 'monitor-raised', `orders.monitor-test-${monitorRuns}`);

    const events = jsonl();
    assert.equal(events.length, 4);
    const byCondition = new Map(events.map((e) => [e.alert.condition, e.alert]));
    const failedAlert = byCondition.get('failed')!;
    assert.equal(failedAlert.failureClass, 'data');
    assert.equal(failedAlert.partition, failed);
    assert.equal(failedAlert.owner, 'data-platform@conveyor.example');
    assert.equal(failedAlert.runId, scenario.runs.get(failed)!.runId);
    assert.equal(failedAlert.webUiUrl, `${h.config.webUiUrl}/namespaces/default/workflows/${encodeURIComponent(`orders.${failed}`)}/${failedAlert.runId}/history`);
    assert.equal(failedAlert.playbook, 'docs/runbook.md#a-partition-failed-what-now');
    assert.match(failedAlert.summary, /failed at transform \(data\)/);
    const freshness = byCondition.get('freshness')!;
    assert.equal(freshness.partition, null);
    assert.equal(freshness.runId, scenario.runs.get(late)!.runId, 'the freshness alert names the run of the newest published partition');
    assert.match(byCondition.get('row_count_drop')!.summary, new RegExp(`${drop} published 100 rows, 25% of the median 400`));
    assert.equal(byCondition.get('missing')!.runId, null);

    // The webhook got one Slack-compatible message per alert, naming what the owner needs.
    assert.equal(received.length, 4);
    const failedMessage = received.find((r) => r.body.text.includes(`failed on orders ${failed}`))!;
    assert.ok(failedMessage, JSON.stringify(received.map((r) => r.body.text)));
    const fields = failedMessage.body.blocks.find((b) => b.fields)!.fields!.map((f) => f.text).join('\n');
    for (const expected of ['data-platform@conveyor.example', failed, 'failed (data)', failedAlert.runId!, failedAlert.playbook]) assert.ok(fields.includes(expected), `${expected} in ${fields}`);
    assert.equal(failedMessage.body.blocks.find((b) => b.elements)!.elements![0]!.url, failedAlert.webUiUrl);

    // The log sink: one line per alert with the alert's fields.
    const logged = h.logLines.filter((l) => (l.alert as { key?: string } | undefined)?.key !== undefined && l.event === 'raised');
    assert.equal(logged.length, 4);
  });

  it('does not raise an open alert again', async () => {
    const result = await monitor();
    assert.deepEqual([result.raised, result.resolved, result.openAlerts], [[], [], 4]);
    assert.equal(jsonl().length, 4);
    assert.equal(received.length, 4);
  });

  it('`npx conveyor status --json` agrees with the lake', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, conveyorArgv('status', ['--json', '--days', '10']), {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, CONVEYOR_DATA_DIR: h.config.dataDir, TEMPORAL_ADDRESS: h.env.address, TEMPORAL_NAMESPACE: 'default' },
    });
    const report = JSON.parse(stdout) as StatusReport;
    const orders = report.pipelines.find((p) => p.pipeline === 'orders')!;
    assert.equal(report.serverUnavailable, null);
    const published = await h.query<{ partition_key: string; rows: bigint; run_id: string }>(
      `SELECT partition_key, rows, run_id FROM meta.published_partitions WHERE pipeline = 'orders' ORDER BY 1`,
    );
    assert.equal(orders.newestPublished, published.at(-1)!.partition_key);
    const shown = orders.partitions.filter((p) => p.rowsPublished !== null).map((p) => [p.partition, p.rowsPublished, p.runId]);
    assert.deepEqual(shown, published.map((r) => [r.partition_key, Number(r.rows), r.run_id]));
    const [newest] = await h.query<{ run_id: string; status: string }>(`SELECT run_id, status FROM meta.partition_runs WHERE pipeline = 'orders' ORDER BY finished_at DESC LIMIT 1`);
    assert.deepEqual([orders.lastRun?.runId, orders.lastRun?.status], [newest!.run_id, newest!.status]);
    assert.equal(orders.partitions.find((p) => p.partition === scenario.failed)!.state, 'failed');
    assert.equal(orders.partitions.find((p) => p.partition === scenario.failed)!.failureClass, 'data');
    assert.equal(orders.partitions.find((p) => p.partition === scenario.missing)!.state, 'missing');
    assert.deepEqual(orders.openAlerts.map((a) => a.key).sort(), jsonl().map((e) => e.alert.key).sort());
    assert.deepEqual(orders.runningBackfills, []);
  });

  it("the newest partition's publication resolves the freshness alert; a failing webhook does not stop the monitor nor leak its URL", async () => {
    await scenario.publishNext();
    webhookFails = true;
    const result = await monitor();
    webhookFails = false;
    assert.deepEqual([result.raised, result.resolved, result.freshness, result.openAlerts], [[], ['orders:freshness'], 'fresh', 3]);
    assert.equal(result.undelivered.length, 1);
    await recordFixture(h.env, 'monitor-webhook-failing', `orders.monitor-test-${monitorRuns}`);
    assert.match(result.undelivered[0]!, /^webhook: resolved orders:freshness \(webhook http:\/\/127\.0\.0\.1:\d+\/… answered 503\)$/);
    const resolved = jsonl().filter((e) => e.kind === 'resolved');
    assert.deepEqual(resolved.map((e) => e.alert.key), ['orders:freshness']);
    const leaked = h.logLines.filter((l) => JSON.stringify(l).includes(WEBHOOK_SECRET));
    assert.deepEqual(leaked, [], 'the webhook URL is never logged in full');
    const history = JSON.stringify(await h.env.client.workflow.getHandle(`orders.monitor-test-${monitorRuns}`).fetchHistory());
    assert.ok(!history.includes(WEBHOOK_SECRET), 'nor recorded in workflow history');
  });

  it('its Schedule runs the monitor', async () => {
    await applySchedules(h.env.client, { config: h.config, registry: h.registry });
    const schedule = h.env.client.schedule.getHandle(monitorScheduleIdOf('orders'));
    await schedule.trigger();
    const deadline = Date.now() + 30_000;
    let completed: string | undefined;
    while (!completed && Date.now() < deadline) {
      const recent = (await schedule.describe()).info.recentActions;
      const started = recent.at(-1)?.action.workflow.workflowId;
      if (started) {
        const d = await h.env.client.workflow.getHandle(started).describe();
        if (d.status.name === 'COMPLETED') completed = started;
      }
      if (!completed) await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(completed ?? '', /^orders\.monitor-/);
    const result = (await h.env.client.workflow.getHandle(completed!).result()) as PipelineMonitorResult;
    assert.deepEqual([result.raised, result.resolved, result.openAlerts], [[], [], 3]);
    await schedule.delete();
    await h.env.client.schedule.getHandle('conveyor-orders').delete();
  });
});
