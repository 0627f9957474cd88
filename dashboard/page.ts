/**
 * The dashboard's page, rendered on the server from a status report: per pipeline a partition
 * calendar shaped by its scheme (one cell a partition: days in weeks, a day × hour grid, weeks, months or keys, coloured by state; hover for rows, rejects and run; click for the run in
 * the Temporal Web UI), the row-count trend and the open alerts. Plain HTML and CSS, no client build:
 * hono's `html` template escapes every value.
 */
import { html, raw } from 'hono/html';
import type { PartitionSummary, PipelineStatus, StatusReport } from '../client/status';
import type { PartitionKind } from '../common/partitions';
import { PARTITION_STATES, type PartitionState } from '../monitoring/partition-states';

type Html = ReturnType<typeof html>;

export const STATE_COLOURS: Record<PartitionState, string> = {
  published: '#2e7d32',
  late: '#f9a825',
  failed: '#c62828',
  running: '#1565c0',
  missing: '#616161',
  skipped: '#d7ccc8',
  pending: '#ffffff',
};

const STATE_MEANING: Record<PartitionState, string> = {
  published: 'published on time (or by a backfill)',
  late: 'published after its freshness deadline',
  failed: 'its latest run failed',
  running: 'a run is going',
  missing: 'past its deadline, never ran, and no running backfill will reach it',
  skipped: 'skipped by an operator',
  pending: 'not due yet, or queued in a running backfill',
};

const CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #212121; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin: 28px 0 4px; }
.meta { color: #555; margin: 2px 0; }
.calendar { display: grid; grid-template-columns: repeat(7, 44px); gap: 4px; margin: 12px 0; }
.calendar.hourly { grid-template-columns: 84px repeat(24, 22px); gap: 2px; }
.calendar.hourly .cell { width: 22px; height: 20px; font-size: 9px; }
.calendar.hourly .day { font-size: 11px; align-self: center; }
.calendar.weekly, .calendar.monthly { grid-template-columns: repeat(13, 56px); }
.calendar.weekly .cell, .calendar.monthly .cell { width: 56px; }
.calendar.static { grid-template-columns: repeat(auto-fill, 72px); }
.calendar.static .cell { width: 72px; }
.cell { position: relative; width: 44px; height: 36px; border: 1px solid #bdbdbd; border-radius: 4px; box-sizing: border-box;
        font-size: 11px; display: flex; align-items: flex-end; justify-content: center; color: #fff; text-decoration: none; }
.cell.state-pending, .cell.state-skipped { color: #424242; }
${PARTITION_STATES.map((s) => `.state-${s} { background-color: ${STATE_COLOURS[s]}; }`).join('\n')}
.cell .tip { display: none; position: absolute; left: 48px; top: 0; z-index: 2; background: #212121; color: #fff; padding: 6px 8px;
             border-radius: 4px; white-space: nowrap; font-size: 12px; text-align: left; }
.cell:hover .tip { display: block; }
.legend span { display: inline-block; margin-right: 12px; } .legend i { display: inline-block; width: 12px; height: 12px; border: 1px solid #bdbdbd; margin-right: 4px; vertical-align: middle; }
table.alerts { border-collapse: collapse; } table.alerts td, table.alerts th { border-bottom: 1px solid #e0e0e0; padding: 4px 8px; text-align: left; }
.critical { color: #c62828; font-weight: 600; } .warning { color: #ef6c00; font-weight: 600; }
.notice { background: #fff3e0; padding: 6px 10px; border-radius: 4px; }
`;

function tip(p: PartitionSummary): Html {
  return html`<span class="tip"
    >${p.partition} · ${p.state}<br />rows published: ${p.rowsPublished ?? '-'}<br />rows rejected: ${p.rowsRejected ?? '-'}<br />run: ${p.runId ?? '-'}${p.failureClass
      ? html`<br />failure class: ${p.failureClass}`
      : ''}${p.checksFailed.length > 0 ? html`<br />checks broken: ${p.checksFailed.join(', ')}` : ''}</span
  >`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A cell's label: the day of the month, the hour, the ISO week, the month, or the key. */
function labelOf(kind: PartitionKind, key: string): string {
  switch (kind) {
    case 'daily':
      return key.slice(8);
    case 'hourly':
      return key.slice(11);
    case 'weekly':
      return key.slice(5);
    case 'monthly':
      return `${MONTHS[Number(key.slice(5)) - 1]} ${key.slice(2, 4)}`;
    case 'static':
      return key;
  }
}

function cell(kind: PartitionKind, p: PartitionSummary): Html {
  const attrs = html`class="cell state-${p.state}" data-partition="${p.partition}" data-state="${p.state}"`;
  const label = labelOf(kind, p.partition);
  return p.webUiUrl ? html`<a ${attrs} href="${p.webUiUrl}">${label}${tip(p)}</a>` : html`<div ${attrs}>${label}${tip(p)}</div>`;
}

/**
 * The calendar that fits the scheme: days as a month grid (Monday-first weeks); hours as a day ×
 * hour grid (one row a day, its date first); weeks and months in a row; a static set's keys in a row.
 */
function calendar(p: PipelineStatus): Html {
  const kind = p.partitionKind;
  if (kind === 'hourly') {
    const rows: Html[] = [];
    const first = p.partitions[0];
    // Pad the first day's row so each column is an hour of the day.
    const lead = first ? Number(first.partition.slice(11)) : 0;
    let day = '';
    p.partitions.forEach((c, i) => {
      if (c.partition.slice(0, 10) !== day) {
        day = c.partition.slice(0, 10);
        rows.push(html`<div class="day">${day}</div>${raw('<div></div>'.repeat(i === 0 ? lead : 0))}`);
      }
      rows.push(cell(kind, c));
    });
    return html`<div class="calendar hourly">${rows}</div>`;
  }
  // Monday-first weeks for days: pad the first row so each column is a weekday.
  const first = p.partitions[0];
  const pad = kind === 'daily' && first ? (new Date(`${first.partition}T00:00:00Z`).getUTCDay() + 6) % 7 : 0;
  return html`<div class="calendar ${kind}">${raw('<div></div>'.repeat(pad))}${p.partitions.map((c) => cell(kind, c))}</div>`;
}

/** Published rows per day as a small line chart (gaps where nothing was published). */
function trend(partitions: PartitionSummary[]): Html {
  const points = partitions.map((p, i) => ({ i, rows: p.rowsPublished }));
  const max = Math.max(1, ...points.map((p) => p.rows ?? 0));
  const w = 7 * 48, h = 60;
  const x = (i: number) => (partitions.length <= 1 ? w / 2 : (i / (partitions.length - 1)) * (w - 8) + 4);
  const y = (rows: number) => h - 4 - (rows / max) * (h - 8);
  const dots = points.filter((p) => p.rows !== null).map((p) => `<circle cx="${x(p.i).toFixed(1)}" cy="${y(p.rows!).toFixed(1)}" r="2.5"><title>${partitions[p.i]!.partition}: ${p.rows} rows</title></circle>`);
  const line = points.filter((p) => p.rows !== null).map((p) => `${x(p.i).toFixed(1)},${y(p.rows!).toFixed(1)}`).join(' ');
  return html`<svg class="trend" width="${w}" height="${h}" role="img" aria-label="rows published per partition"
    ><polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="${line}" />${raw(dots.join(''))}</svg
  >`;
}

function pipelineSection(p: PipelineStatus): Html {
  return html`<section class="pipeline" data-pipeline="${p.pipeline}">
    <h2>${p.pipeline}</h2>
    <p class="meta">owner ${p.owner} · newest published ${p.newestPublished ?? '-'} · <span class="freshness">${p.freshness.text}</span></p>
    <p class="meta">
      last run:
      ${p.lastRun
        ? html`${p.lastRun.partition} ${p.lastRun.status}${p.lastRun.failureClass ? ` (${p.lastRun.failureClass})` : ''}, ${p.lastRun.runKind}, ${p.lastRun.finishedAt}`
        : '-'}
      · backfills: ${p.runningBackfills === null ? 'unknown' : p.runningBackfills.length === 0 ? 'none running' : p.runningBackfills.join(', ')}
    </p>
    ${calendar(p)}
    ${trend(p.partitions)}
    <h3>Open alerts (${p.openAlerts.length})</h3>
    ${p.openAlerts.length === 0
      ? html`<p class="meta">none</p>`
      : html`<table class="alerts">
          <tr><th>severity</th><th>condition</th><th>partition</th><th>what</th><th>since</th><th></th></tr>
          ${p.openAlerts.map(
            (a) =>
              html`<tr class="alert" data-condition="${a.condition}">
                <td class="${a.severity}">${a.severity}</td><td>${a.condition}</td><td>${a.partition ?? '-'}</td><td>${a.summary}</td><td>${a.openedAt}</td>
                <td><a href="${a.webUiUrl}">run</a> · ${a.playbook}</td>
              </tr>`,
          )}
        </table>`}
  </section>`;
}

export function dashboardPage(report: StatusReport, refreshSeconds = 30): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="refresh" content="${refreshSeconds}" />
        <title>Conveyor: pipelines</title>
        <style>
          ${raw(CSS)}
        </style>
      </head>
      <body>
        <h1>Conveyor pipelines</h1>
        <p class="meta">as of ${report.asOf} · refreshes every ${refreshSeconds} s · read-only</p>
        ${report.serverUnavailable ? html`<p class="notice">Running partitions and backfills unknown: ${report.serverUnavailable}</p>` : ''}
        <p class="legend">${PARTITION_STATES.map((s) => html`<span title="${STATE_MEANING[s]}"><i class="state-${s}"></i>${s}</span>`)}</p>
        ${report.pipelines.map(pipelineSection)}
      </body>
    </html>`;
}
