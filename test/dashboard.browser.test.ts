/**
 * The dashboard in a real headless browser (Debian's Chromium driven by playwright-core; nothing is
 * downloaded at run time): a week with one failed and one missing day shows the right colours,
 * hovering a day shows its rows, rejects and run, and a click opens that run in the Temporal Web UI.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startDashboard, type RunningDashboard } from '../dashboard/server';
import { STATE_COLOURS } from '../dashboard/page';
import { freePort } from '../scripts/lib/ports';
import { startHarness, type Harness } from './helpers/harness';
import { buildScenario, scenarioPipeline, scenarioRegistry, type Scenario } from './helpers/monitor-scenario';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';

/** Debian's package (`apt-get install chromium`, done by .ci/run), or CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let h: Harness;
let scenario: Scenario;
let dashboard: RunningDashboard;
let browser: Browser;

const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const uiPort = await freePort();
  h = await startHarness({ registry: scenarioRegistry(scenarioPipeline()), uiPort, env: { TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}` } });
  scenario = await buildScenario(h, h.registry.get('orders'));
  dashboard = await startDashboard({ config: { ...h.config, temporalAddress: h.env.address }, registry: h.registry, port: await freePort() });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, START_HOOK_OPTIONS);
after(async () => {
  await browser?.close();
  await dashboard?.close();
  await h?.stop();
}, STOP_HOOK_OPTIONS);

describe('dashboard', () => {
  it('colours a week with one failed and one missing day; hover shows rows, rejects and run; a click opens the run in the Web UI', async () => {
    await h.env.client.workflow.execute('pipelineMonitor', { taskQueue: h.config.taskQueue, workflowId: 'orders/monitor-dashboard-test', args: [{ pipeline: 'orders' }] });
    const page = await browser.newPage();
    await page.goto(`${dashboard.url}?days=7`);
    const cells = page.locator('section[data-pipeline="orders"] .cell');
    // Runs in the page: the browser's getComputedStyle (this project's TypeScript has no DOM types).
    const shown = await cells.evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-partition'), e.getAttribute('data-state'), (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor]),
    );
    const week = [...scenario.days.slice(-6), scenario.next];
    const expected: Record<string, keyof typeof STATE_COLOURS> = { [scenario.missing]: 'missing', [scenario.failed]: 'failed', [scenario.late]: 'late', [scenario.next]: 'pending' };
    assert.deepEqual(
      shown,
      week.map((d) => [d, expected[d] ?? 'published', rgb(STATE_COLOURS[expected[d] ?? 'published'])]),
    );

    // Hover: the day's numbers and run.
    const failedCell = page.locator(`.cell[data-partition="${scenario.failed}"]`);
    const tip = failedCell.locator('.tip');
    assert.equal(await tip.isVisible(), false);
    await failedCell.hover();
    assert.equal(await tip.isVisible(), true);
    const [run] = await h.query<{ run_id: string; rows_rejected: bigint }>(`SELECT run_id, rows_rejected FROM meta.partition_runs WHERE partition_key = '${scenario.failed}'`);
    const text = await tip.innerText();
    assert.ok(Number(run!.rows_rejected) > 4, 'more than 1% of 400 rows rejected');
    assert.match(text, new RegExp(`rows rejected: ${run!.rows_rejected}\\b`));
    assert.match(text, new RegExp(`run: ${run!.run_id}`));
    assert.match(text, /failure class: data/);
    const drop = await page.locator(`.cell[data-partition="${scenario.drop}"] .tip`).innerText();
    assert.match(drop, /rows published: 100(?!\d)/);

    // The monitor's open alerts are listed, and the row-count trend is drawn (one point per published day).
    const alerts = await page.locator('section[data-pipeline="orders"] tr.alert').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-condition')));
    assert.deepEqual(alerts.sort(), ['failed', 'freshness', 'missing', 'row_count_drop']);
    assert.equal(await page.locator('svg.trend circle').count(), 4);

    // Click: the run in the Temporal Web UI.
    await failedCell.click();
    await page.waitForURL(/\/namespaces\/default\/workflows\//);
    assert.equal(page.url(), `${h.config.webUiUrl}/namespaces/default/workflows/${encodeURIComponent(`orders/${scenario.failed}`)}/${run!.run_id}/history`);
    await page.getByText(`orders/${scenario.failed}`).first().waitFor({ timeout: 30_000 });
    await page.close();
  });

  it('refuses a bad ?days= in one line', async () => {
    const response = await fetch(`${dashboard.url}?days=abc`);
    assert.equal(response.status, 400);
    assert.equal(await response.text(), 'invalid days "abc": expected a whole number from 7 to 366');
  });
});
