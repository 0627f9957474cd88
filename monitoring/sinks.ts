/**
 * Delivering alert events: to the log (pino), to a JSON-lines file (one event per line, appended),
 * or to an HTTP webhook with a Slack-compatible body. A webhook URL is a secret: only its scheme and
 * host are ever logged or put in an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../platform/logger';
import type { AlertSink } from '../common/alert-sinks';
import { alertText, redactUrl, slackPayload, type AlertEvent } from './alerts';

/** A delivery that can never succeed as configured (no URL, a 4xx answer): not worth retrying. */
export class UndeliverableAlert extends Error {
  override name = 'UndeliverableAlert';
}

export interface SinkTargets {
  file: string;
  webhookUrl: string | undefined;
  log: Logger;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

export async function deliverToSink(sink: AlertSink, event: AlertEvent, targets: SinkTargets): Promise<void> {
  switch (sink) {
    case 'log': {
      const level = event.kind === 'resolved' ? 'info' : event.alert.severity === 'critical' ? 'error' : 'warn';
      targets.log[level]({ alert: event.alert, event: event.kind }, alertText(event));
      return;
    }
    case 'jsonl': {
      await fs.promises.mkdir(path.dirname(targets.file), { recursive: true });
      // One write of one line: appends from several processes do not interleave within a line.
      await fs.promises.appendFile(targets.file, JSON.stringify(event) + '\n');
      return;
    }
    case 'webhook': {
      const url = targets.webhookUrl;
      if (!url) throw new UndeliverableAlert('no webhook URL: set CONVEYOR_ALERT_WEBHOOK_URL (or the variable the definition names in monitors.alerts.webhookUrlEnv)');
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(slackPayload(event)),
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
      } catch (err) {
        // The fetch error's message may hold the URL: name only its host.
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.name : 'error';
        throw new Error(`webhook ${redactUrl(url)} unreachable: ${cause.replaceAll(url, redactUrl(url))}`);
      }
      await response.body?.cancel();
      if (response.ok) return;
      const message = `webhook ${redactUrl(url)} answered ${response.status}`;
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) throw new UndeliverableAlert(message);
      throw new Error(message);
    }
  }
}
