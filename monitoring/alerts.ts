/**
 * Alerts: a condition of a pipeline (and partition), named for its owner with everything needed to
 * act, opened once and resolved once. `reconcileAlerts` compares what is open with what holds now. Pure.
 */
import type { AlertCondition, Condition } from './checks';

export interface Alert extends Condition {
  /** `<pipeline>:<condition>[:<partition>]`: one alert per key while it is open. */
  key: string;
  pipeline: string;
  owner: string;
  /** The run in the Temporal Web UI (or the pipeline's runs when there is no run). */
  webUiUrl: string;
  /** The runbook section that fits. */
  playbook: string;
  openedAt: string;
}

export interface AlertEvent {
  /** `<alert key>@<time>`: a sink retried may deliver an event twice; consumers can drop repeats by id. */
  id: string;
  kind: 'raised' | 'resolved';
  at: string;
  alert: Alert;
}

export const RUNBOOK = 'docs/runbook.md';

/** The runbook section for each condition. */
export const PLAYBOOKS: Record<AlertCondition, string> = {
  freshness: `${RUNBOOK}#playbook-upstream-is-late`,
  failed: `${RUNBOOK}#a-partition-failed-what-now`,
  missing: `${RUNBOOK}#playbook-catch-up-after-an-outage`,
  row_count_drop: `${RUNBOOK}#playbook-row-count-dropped-or-spiked`,
  row_count_spike: `${RUNBOOK}#playbook-row-count-dropped-or-spiked`,
  reject_ratio: `${RUNBOOK}#playbook-rejects-are-rising`,
  check_warning: `${RUNBOOK}#playbook-a-check-failed`,
};

export function alertKey(pipeline: string, c: Pick<Condition, 'condition' | 'partition'>): string {
  return [pipeline, c.condition, ...(c.partition ? [c.partition] : [])].join(':');
}

/**
 * What changed: conditions that are not open yet are raised; open alerts whose condition no longer
 * holds are resolved; the rest stay open as first raised (not raised again). An open alert about a
 * partition older than the checked window (`windowFrom`) was not checked, so it is not "resolved": it
 * is dropped silently (expired).
 */
export function reconcileAlerts(
  open: readonly Alert[],
  current: readonly Alert[],
  at: string,
  windowFrom?: string,
): { events: AlertEvent[]; open: Alert[]; expired: Alert[] } {
  const expired = open.filter((a) => windowFrom !== undefined && a.partition !== null && a.partition < windowFrom);
  open = open.filter((a) => !expired.includes(a));
  const openByKey = new Map(open.map((a) => [a.key, a]));
  const currentKeys = new Set(current.map((a) => a.key));
  const events: AlertEvent[] = [];
  const stillOpen: Alert[] = [];
  for (const alert of current) {
    const existing = openByKey.get(alert.key);
    if (existing) stillOpen.push(existing);
    else {
      events.push({ id: `${alert.key}@${at}`, kind: 'raised', at, alert });
      stillOpen.push(alert);
    }
  }
  for (const alert of open) if (!currentKeys.has(alert.key)) events.push({ id: `${alert.key}@${at}`, kind: 'resolved', at, alert });
  return { events, open: stillOpen, expired };
}

/** One line for logs and chat. */
export function alertText(e: AlertEvent): string {
  const a = e.alert;
  const where = a.partition ? `${a.pipeline} ${a.partition}` : a.pipeline;
  if (e.kind === 'resolved') return `RESOLVED ${a.condition} on ${where} (owner ${a.owner}), open since ${a.openedAt}`;
  return `${a.severity.toUpperCase()} ${a.condition} on ${where} (owner ${a.owner}): ${a.summary}${a.runId ? `; run ${a.runId}` : ''}`;
}

/** A Slack-compatible webhook body (`text` for any chat tool, `blocks` for Slack). */
export function slackPayload(e: AlertEvent): { text: string; blocks: object[] } {
  const a = e.alert;
  // Slack reads <...> as links and mentions (<!channel>): data in a reason must not become either.
  const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const text = escape(alertText(e));
  const fields = [
    ['Owner', a.owner],
    ['Pipeline', a.pipeline],
    ['Partition', a.partition ?? '-'],
    ['Condition', a.failureClass ? `${a.condition} (${a.failureClass})` : a.condition],
    ['Run', a.runId ?? '-'],
    ['Playbook', a.playbook],
  ];
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${e.kind === 'resolved' ? ':white_check_mark:' : a.severity === 'critical' ? ':rotating_light:' : ':warning:'} ${text}` } },
      { type: 'section', fields: fields.map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${escape(v!)}` })) },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Temporal' }, url: a.webUiUrl }] },
    ],
  };
}

/** A webhook URL as it may be logged: scheme and host only (the path of a Slack webhook is its secret). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(unparseable URL)';
  }
}
