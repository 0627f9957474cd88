/** Where alerts can go: the worker's log, a JSON-lines file, an HTTP webhook (Slack-compatible). */
export const ALERT_SINKS = ['log', 'jsonl', 'webhook'] as const;
export type AlertSink = (typeof ALERT_SINKS)[number];
