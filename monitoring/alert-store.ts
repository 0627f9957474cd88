/**
 * The monitor's open alerts, per pipeline, in the lake (`meta/alerts/<pipeline>/open.json`): read by
 * the monitor to deduplicate, by `npm run status` and the dashboard to show them. Replaced atomically
 * (written beside, flushed, renamed), so a reader never sees half of it. One monitor runs at a time per
 * pipeline (its Schedule skips overlapping runs).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fsyncPath } from '../lake/commit';
import type { LakeLayout } from '../lake/layout';
import type { Alert } from './alerts';

export async function readOpenAlerts(lake: LakeLayout, pipeline: string): Promise<Alert[]> {
  try {
    return JSON.parse(await fs.promises.readFile(lake.openAlertsFile(pipeline), 'utf8')) as Alert[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function writeOpenAlerts(lake: LakeLayout, pipeline: string, alerts: Alert[]): Promise<void> {
  const file = lake.openAlertsFile(pipeline);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomUUID()}.tmp`;
  await fs.promises.writeFile(temp, JSON.stringify(alerts, null, 1) + '\n');
  await fsyncPath(temp);
  await fs.promises.rename(temp, file);
  await fsyncPath(path.dirname(file));
}
