/**
 * The monitor's open alerts, per pipeline, in the lake (`meta/alerts/<pipeline>/open.json`): read by
 * the monitor to deduplicate, by `npx conveyor status` and the dashboard to show them. Replaced atomically
 * (written beside, flushed, renamed), so a reader never sees half of it. One monitor runs at a time per
 * pipeline (its Schedule skips overlapping runs).
 */
import type { LakeLayout } from '../lake/layout';
import type { Alert } from './alerts';

export async function readOpenAlerts(lake: LakeLayout, pipeline: string): Promise<Alert[]> {
  const text = await lake.area.readText(lake.openAlertsFile(pipeline));
  return text === undefined ? [] : (JSON.parse(text) as Alert[]);
}

export async function writeOpenAlerts(lake: LakeLayout, pipeline: string, alerts: Alert[]): Promise<void> {
  await lake.area.writeText(lake.openAlertsFile(pipeline), JSON.stringify(alerts, null, 1) + '\n');
}
