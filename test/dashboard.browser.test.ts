/**
 * The dashboard in a real headless browser (Debian's Chromium driven by playwright-core; nothing is
 * downloaded at run time): a week with one failed and one missing day shows the right colours,
 * hovering a day shows its rows, rejects and run, and a click opens that run in the Temporal Web UI.
 * Each other scheme's calendar too, from real runs: an hourly pipeline as a day × hour grid, weekly
 * and monthly pipelines as a row of weeks and of months, a static key set as a row of its keys, each
 * with published, failed and missing (or pending) partitions in their colours.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPartitionRun, waitForPartitionRun } from '../client/partition-runs';
import { partitionsSchema, PartitionScheme, type PartitionsDeclaration } from '../common/partitions';
import { startDashboard, type RunningDashboard } from '../dashboard/server';
import { STATE_COLOURS } from '../dashboard/page';
import type { PartitionState } from '../monitoring/partition-states';
import { definePipeline, type PipelineDefinition } from '../definitions/definition';
import { ordersPipeline } from '../pipelines/orders/definition';
import { PipelineRegistry } from '../definitions/registry';
import { SourceDataError } from '../common/classify';
import type { SourceFunction } from '../definitions/source-schema';
import { freePort } from '../scripts/lib/ports';
import { startHarness, type Harness } from './helpers/harness';
import { buildScenario, scenarioPipeline, type Scenario } from './helpers/monitor-scenario';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS, within } from './helpers/bounds';

/** Debian's package (`apt-get install chromium`, done by .ci/run), or CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let h: Harness;
let scenario: Scenario;
let dashboard: RunningDashboard;
let browser: Browser;

let shapes: Shape[];
/** When the shapes' keys were taken (their newest partitions are those available then). */
let shapesAt: number;

const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

/** Rows each published partition of the other shapes holds. */
const SHAPE_ROWS = 3;
/** Partitions whose run fails (as data): the shapes' source throws for them. Keys of different schemes never coincide. */
const failing = new Set<string>();
const shapeRows: SourceFunction = async function* shapeRows({ partition }) {
  if (failing.has(partition)) throw new SourceDataError(`no rows for ${partition}`);
  for (let i = 0; i < SHAPE_ROWS; i += 1) yield { id: `${partition}-${i}`, amount: String(i + 1) };
};

/** A pipeline of another scheme, its keys as the calendar shows them (oldest first) and the state each should show. */
interface Shape {
  pipeline: PipelineDefinition;
  keys: string[];
  states: PartitionState[];
}

/**
 * A pipeline whose source is `shapeRows`, over `count` partitions ending with the newest available
 * at `nowMs` (a static set: its keys); `stateOf(k)` is the state of the partition `k` back from the
 * newest, or the last key (0).
 */
function shape(name: string, partitions: PartitionsDeclaration, at: string, freshnessObjectiveHours: number, nowMs: number, count: number, stateOf: (back: number) => PartitionState): Shape {
  let spec = partitionsSchema.parse(partitions);
  let keys: string[];
  if (spec.kind === 'static') {
    keys = spec.keys;
  } else {
    const scheme = new PartitionScheme(spec);
    const latest = scheme.latestAt(nowMs);
    spec = { ...spec, first: scheme.next(latest, 1 - count)! };
    keys = [...scheme.range(spec.first, latest)];
  }
  const pipeline = definePipeline({
    ...ordersPipeline,
    name,
    description: `${spec.kind} partitions, for the dashboard's calendar.`,
    partitions: spec,
    freshnessObjectiveHours,
    schedule: { at, catchupWindowDays: 1, overlap: 'allow_all' },
    source: { kind: 'function', rows: shapeRows, columns: ['id', 'amount'] },
    quality: { maxRejectedRatio: 0 },
    table: {
      columns: [
        { name: 'id', type: 'VARCHAR' },
        { name: 'amount', type: 'DECIMAL(12,2)' },
      ],
      uniqueKey: ['id'],
    },
    transform: { kind: 'sql', sql: `SELECT source_file, record_no, id, try_cast(amount AS DECIMAL(12,2)) AS amount, NULL::VARCHAR AS reject_reason FROM raw` },
    steps: { timeoutSeconds: 60, maxAttempts: 2 },
  });
  return { pipeline, keys, states: keys.map((_, i) => stateOf(keys.length - 1 - i)) };
}

/**
 * The other shapes at `nowMs`. Never-run time partitions are missing once their window's end plus
 * the freshness objective has passed, pending before: the newest three hours (objective 3 h) are pending.
 */
function otherShapes(nowMs: number): Shape[] {
  return [
    // 30 hours: at least two days' rows of the grid, the first day's row starting at its hour.
    shape('clicks_hourly', { kind: 'hourly', first: '2020-01-01T00', lag: 1 }, ':05', 3, nowMs, 30, (k) =>
      k <= 2 ? 'pending' : k === 3 ? 'failed' : k <= 5 ? 'published' : 'missing',
    ),
    shape('sales_weekly', { kind: 'weekly', first: '2020-W01', lag: 1 }, 'mon 05:00', 30, nowMs, 4, (k) => (['published', 'failed', 'missing', 'published'] as const)[k]!),
    shape('ledger_monthly', { kind: 'monthly', first: '2020-01', lag: 1 }, '1 04:00', 30, nowMs, 3, (k) => (['published', 'failed', 'missing'] as const)[k]!),
    shape('region_sales', { kind: 'static', keys: ['eu', 'us', 'apac', 'latam'] }, '04:00', 30, nowMs, 4, (k) => (['pending', 'published', 'failed', 'published'] as const)[k]!),
  ];
}

/** Run each shape's published and failed partitions for real (concurrently), checking each ends as meant. */
async function runShapes(shapes: Shape[]): Promise<void> {
  const runs = shapes.flatMap((s) => s.keys.map((key, i) => ({ pipeline: s.pipeline.name, key, state: s.states[i]! })).filter((r) => r.state === 'published' || r.state === 'failed'));
  for (const r of runs) if (r.state === 'failed') failing.add(r.key);
  await Promise.all(
    runs.map(async (r) => {
      const outcome = await waitForPartitionRun(await startPartitionRun(h.env.client, { pipeline: r.pipeline, partition: r.key }, { config: h.config, registry: h.registry }));
      assert.equal(outcome.status, r.state === 'failed' ? 'failed' : 'succeeded', `${r.pipeline}/${r.key}: ${JSON.stringify(outcome)}`);
    }),
  );
}

/** What the page shows of one cell of a calendar (read in the browser). */
interface ShownCell {
  partition: string;
  state: string;
  colour: string;
  label: string;
  href: string | null;
  left: number;
  top: number;
  bottom: number;
}

/** The little of the DOM read in the page (this project's TypeScript has no DOM types). */
interface PageElement {
  getAttribute(name: string): string | null;
  innerText: string;
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number };
}
type PageWindow = { getComputedStyle(e: PageElement): { backgroundColor: string } };

/** The cells of a pipeline's calendar, in page order. */
function calendarCells(page: Page, pipeline: string): Promise<ShownCell[]> {
  return page.locator(`section[data-pipeline="${pipeline}"] .calendar .cell`).evaluateAll((els) =>
    els.map((el) => {
      const e = el as unknown as PageElement;
      const box = e.getBoundingClientRect();
      return {
        partition: e.getAttribute('data-partition') ?? '',
        state: e.getAttribute('data-state') ?? '',
        colour: (globalThis as unknown as PageWindow).getComputedStyle(e).backgroundColor,
        label: e.innerText.trim(),
        href: e.getAttribute('href'),
        left: box.left,
        top: box.top,
        bottom: box.bottom,
      };
    }),
  );
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
/** The label a user reads on a cell: the hour, the ISO week, the month and year, the key. */
function labelOf(kind: PartitionsDeclaration['kind'], key: string): string {
  if (kind === 'hourly') return key.slice(11);
  if (kind === 'weekly') return key.slice(5);
  if (kind === 'monthly') return `${MONTHS.slice((Number(key.slice(5)) - 1) * 3, Number(key.slice(5)) * 3)} ${key.slice(2, 4)}`;
  return key;
}

/**
 * An hourly calendar is a day × hour grid: a row a day with its date before it, the days top to
 * bottom; a column an hour of the day (the first day's row starts at its first hour's column), 00 to 23
 * left to right, evenly spaced.
 */
async function assertDayByHourGrid(page: Page, pipeline: string, cells: ShownCell[]): Promise<void> {
  const days = [...new Set(cells.map((c) => c.partition.slice(0, 10)))];
  assert.ok(days.length >= 2, 'at least two days of hours');
  const labels = await page.locator(`section[data-pipeline="${pipeline}"] .calendar .day`).evaluateAll((els) =>
    els.map((el) => {
      const e = el as unknown as PageElement;
      const box = e.getBoundingClientRect();
      return { text: e.innerText.trim(), right: box.right, middle: (box.top + box.bottom) / 2 };
    }),
  );
  assert.deepEqual(labels.map((l) => l.text), days, 'a date label a row');
  let previousTop = -Infinity;
  days.forEach((day, d) => {
    const row = cells.filter((c) => c.partition.startsWith(day));
    const top = row[0]!.top;
    assert.ok(row.every((c) => c.top === top), `${day}: its hours in one row`);
    assert.ok(top > previousTop, `${day}: below the day before`);
    previousTop = top;
    const label = labels[d]!;
    assert.ok(label.middle > top && label.middle < row[0]!.bottom, `${day}: its date on its row`);
    assert.ok(row.every((c) => c.left >= label.right), `${day}: its date before its hours`);
  });
  const columns = new Map<string, Set<number>>();
  for (const c of cells) columns.set(c.label, (columns.get(c.label) ?? new Set()).add(c.left));
  const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0'));
  assert.deepEqual([...columns.keys()].sort(), hours, 'every hour of the day has a column');
  for (const [hour, xs] of columns) assert.equal(xs.size, 1, `hour ${hour}: one column across the days`);
  const xs = hours.map((hour) => [...columns.get(hour)!][0]!);
  const step = xs[1]! - xs[0]!;
  assert.ok(step > 0, 'hours left to right');
  xs.forEach((x, i) => assert.ok(Math.abs(x - (xs[0]! + i * step)) < 0.5, `hour ${hours[i]} in its column (x ${x}, expected ${xs[0]! + i * step})`));
}

/** When an hour is about to turn, wait it out: the newest partition of every scheme (and day) stays put while the test runs. */
async function clearOfTheHour(marginMs = 90_000): Promise<void> {
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < marginMs) await sleep(left + 1_000);
}

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  await clearOfTheHour();
  const nowMs = (shapesAt = Date.now());
  shapes = otherShapes(nowMs);
  const uiPort = await freePort();
  h = await startHarness({ registry: new PipelineRegistry([scenarioPipeline(nowMs), ...shapes.map((s) => s.pipeline)]), uiPort, env: { TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}` } });
  [scenario] = await Promise.all([buildScenario(h, h.registry.get('orders')), runShapes(shapes)]);
  dashboard = await startDashboard({ config: { ...h.config, temporalAddress: h.env.address }, registry: h.registry, port: await freePort() });
  browser = await within('launching Chromium', 60_000, chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 }));
}, START_HOOK_OPTIONS);
after(async () => {
  await browser?.close();
  await dashboard?.close();
  await h?.stop();
}, STOP_HOOK_OPTIONS);

describe('dashboard', () => {
  it('colours a week with one failed and one missing day; hover shows rows, rejects and run; a click opens the run in the Web UI', { timeout: 120_000 }, async () => {
    await h.env.client.workflow.execute('pipelineMonitor', { taskQueue: h.config.taskQueue, workflowId: 'orders.monitor-dashboard-test', args: [{ pipeline: 'orders' }] });
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
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
    assert.equal(await page.locator('section[data-pipeline="orders"] svg.trend circle').count(), 4);

    // Click: the run in the Temporal Web UI.
    await failedCell.click();
    await page.waitForURL(/\/namespaces\/default\/workflows\//);
    assert.equal(page.url(), `${h.config.webUiUrl}/namespaces/default/workflows/${encodeURIComponent(`orders.${scenario.failed}`)}/${run!.run_id}/history`);
    await page.getByText(`orders/${scenario.failed}`).first().waitFor({ timeout: 30_000 });
    await page.close();
  });

  it('draws hours as a day × hour grid, weeks and months in a row, static keys in a row: each state in its colour; hover shows the run', { timeout: 60_000 }, async () => {
    const hourOf = (ms: number) => Math.floor(ms / 3_600_000);
    assert.equal(hourOf(Date.now()), hourOf(shapesAt), 'an hour turned since the shapes were defined (a slow start?), so their newest partitions moved: run again');
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    // 90 days: every week and month of the shapes (a day's partitions are cut to those from a pipeline's first).
    await page.goto(`${dashboard.url}?days=90`);
    for (const s of shapes) {
      const { name } = s.pipeline;
      const kind = s.pipeline.partitions.kind;
      const section = page.locator(`section[data-pipeline="${name}"]`);
      assert.equal(await section.locator('.calendar').getAttribute('class'), `calendar ${kind}`);
      const cells = await calendarCells(page, name);
      assert.deepEqual(
        cells.map((c) => [c.partition, c.state, c.colour, c.label]),
        s.keys.map((k, i) => [k, s.states[i], rgb(STATE_COLOURS[s.states[i]!]), labelOf(kind, k)]),
        `${name}: cells, states, colours and labels`,
      );
      // A partition that ran links to its run in the Web UI; one that never ran links nowhere.
      cells.forEach((c, i) => {
        const ran = s.states[i] === 'published' || s.states[i] === 'failed';
        if (ran) assert.ok(c.href?.startsWith(`${h.config.webUiUrl}/namespaces/default/workflows/${encodeURIComponent(`${name}.${c.partition}`)}/`), `${name}/${c.partition}: ${c.href}`);
        else assert.equal(c.href, null, `${name}/${c.partition} never ran`);
      });
      if (kind === 'hourly') await assertDayByHourGrid(page, name, cells);
      else {
        // One row, oldest first.
        assert.deepEqual(new Set(cells.map((c) => c.top)).size, 1, `${name}: one row`);
        cells.slice(1).forEach((c, i) => assert.ok(c.left > cells[i]!.left, `${name}: ${c.partition} right of ${cells[i]!.partition}`));
      }
      // One point of the row-count trend per published partition.
      assert.equal(await section.locator('svg.trend circle').count(), s.states.filter((st) => st === 'published').length, `${name}: trend points`);

      // Hover: the failed partition's state, class and run; a published one's rows.
      const failed = s.keys[s.states.indexOf('failed')]!;
      const published = s.keys[s.states.indexOf('published')]!;
      const [run] = await h.query<{ run_id: string }>(`SELECT run_id FROM meta.partition_runs WHERE pipeline = '${name}' AND partition_key = '${failed}'`);
      const failedCell = section.locator(`.cell[data-partition="${failed}"]`);
      const tip = failedCell.locator('.tip');
      assert.equal(await tip.isVisible(), false);
      await failedCell.hover();
      assert.equal(await tip.isVisible(), true, `${name}/${failed}: tip shown on hover`);
      const text = await tip.innerText();
      assert.match(text, new RegExp(`^${failed} · failed\\n`));
      assert.match(text, /rows published: -\n/);
      assert.match(text, /failure class: data/);
      assert.match(text, new RegExp(`run: ${run!.run_id}`));
      const publishedCell = section.locator(`.cell[data-partition="${published}"]`);
      await publishedCell.hover();
      assert.equal(await tip.isVisible(), false, `${name}/${failed}: tip hidden once the pointer left`);
      assert.equal(await publishedCell.locator('.tip').isVisible(), true, `${name}/${published}: tip shown on hover`);
      const shown = await publishedCell.locator('.tip').innerText();
      assert.match(shown, new RegExp(`^${published} · published\\nrows published: ${SHAPE_ROWS}\\nrows rejected: 0\\n`));
      assert.doesNotMatch(shown, /failure class/);
    }
    await page.close();
  });

  it('refuses a bad ?days= in one line', async () => {
    const response = await fetch(`${dashboard.url}?days=abc`);
    assert.equal(response.status, 400);
    assert.equal(await response.text(), 'invalid days "abc": expected a whole number from 7 to 366');
  });
});
