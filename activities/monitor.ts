/**
 * The monitor's activities. `checkPipeline` observes a pipeline (lake and server), evaluates its
 * checks and compares them with its open alerts: what became true is raised, what cleared is
 * resolved, what stays open is not raised again. It writes nothing, so a retry is harmless.
 * `deliverAlert` sends one event to one sink (retried by the workflow's policy). `commitAlerts` then
 * saves the new open alerts: a monitor that dies before that raises its events again next time
 * (delivered at least once, never lost).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AlertSink } from '../common/alert-sinks';
import { getLogger } from '../platform/logger';
import { webUiListUrl, webUiWorkflowUrl } from '../common/web-ui';
import { alertKey, PLAYBOOKS, reconcileAlerts, type Alert, type AlertEvent } from '../monitoring/alerts';
import { readOpenAlerts, writeOpenAlerts } from '../monitoring/alert-store';
import { evaluateChecks } from '../monitoring/checks';
import { observePipeline, runningBackfillRanges, runningPartitions, type BackfillRange } from '../monitoring/observe';
import { deliverToSink, UndeliverableAlert } from '../monitoring/sinks';
import type { ActivityDeps } from './deps';
import { recordFreshness } from './metrics';

export interface CheckResult {
  pipeline: string;
  /** Events to deliver: alerts raised and resolved by this check. */
  events: AlertEvent[];
  /** The open alerts once these events are delivered: saved by `commitAlerts`. */
  open: Alert[];
  /** Open alerts about partitions that left the checked window: dropped without a "resolved". */
  expired: string[];
  /** The sinks this pipeline's alerts go to. */
  sinks: AlertSink[];
  openAlerts: number;
  freshness: string;
}

function monitorLog(pipeline: string) {
  const info = Context.current().info;
  return getLogger().child({
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    pipeline,
    partition: null,
    attempt: info.attempt,
    step: info.activityType,
  });
}

export function makeCheckPipeline(deps: ActivityDeps) {
  return async function checkPipeline(name: string): Promise<CheckResult> {
    const pipeline = deps.registry.get(name);
    const log = monitorLog(name);
    const now = Date.now();
    let running;
    let backfills: BackfillRange[] = [];
    try {
      running = await runningPartitions(Context.current().client, name);
      backfills = await runningBackfillRanges(Context.current().client, name);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not list running partitions and backfills; checking without them');
    }
    const observation = await observePipeline(deps.lake, deps.registry, name, now, running, undefined, backfills);
    recordFreshness(name, observation.freshness.lagHours);
    const at = new Date(now).toISOString();
    const current: Alert[] = evaluateChecks(pipeline, observation.cells, observation.freshness).map((c) => ({
      ...c,
      key: alertKey(name, c),
      pipeline: name,
      owner: pipeline.owner,
      webUiUrl: c.workflowId ? webUiWorkflowUrl(deps.monitoring, c.workflowId, c.runId ?? undefined) : webUiListUrl(deps.monitoring, `Pipeline = "${name}"`),
      playbook: PLAYBOOKS[c.condition],
      openedAt: at,
    }));
    const { events, open, expired } = reconcileAlerts(await readOpenAlerts(deps.lake, name), current, at, observation.window.from);
    const freshness = observation.freshness.late ? 'late' : 'fresh';
    log.info({ open: open.length, raised: events.filter((e) => e.kind === 'raised').length, resolved: events.filter((e) => e.kind === 'resolved').length, expired: expired.length, freshness }, 'pipeline checked');
    return {
      pipeline: name,
      events,
      open,
      expired: expired.map((a) => a.key),
      sinks: pipeline.monitors.alerts.sinks ?? deps.monitoring.alerts.sinks,
      openAlerts: open.length,
      freshness,
    };
  };
}

export function makeCommitAlerts(deps: ActivityDeps) {
  return async function commitAlerts(input: { pipeline: string; open: Alert[] }): Promise<void> {
    deps.registry.get(input.pipeline);
    await writeOpenAlerts(deps.lake, input.pipeline, input.open);
  };
}

export function makeDeliverAlert(deps: ActivityDeps) {
  return async function deliverAlert(input: { sink: AlertSink; event: AlertEvent }): Promise<void> {
    const { sink, event } = input;
    const pipeline = deps.registry.get(event.alert.pipeline);
    const urlVariable = pipeline.monitors.alerts.webhookUrlEnv;
    const webhookUrl = urlVariable ? process.env[urlVariable] : deps.monitoring.alerts.webhookUrl;
    const log = monitorLog(pipeline.name).child({ partition: event.alert.partition, sink, alertKey: event.alert.key });
    try {
      await deliverToSink(sink, event, { file: deps.monitoring.alerts.file, webhookUrl, log });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'alert not delivered');
      if (err instanceof UndeliverableAlert) throw ApplicationFailure.nonRetryable(err.message, 'UndeliverableAlert');
      throw err;
    }
  };
}
