/**
 * The audit trail of operators' overrides (force, skip, rerun): one JSON file per override under
 * `meta/overrides/<pipeline>/partition_key=<D>/`, written once and never rewritten, readable as
 * `meta.overrides` with `npx conveyor sql`. A partition is waived (skipped) while it is unpublished and its
 * latest skip or rerun is a skip: backfills do not plan it. Overrides are ordered by `requested_at`,
 * the requesting machine's clock.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { OverrideRecord } from '../common/run-types';
import type { LakeLayout } from './layout';
import { isRecordName } from './runs';

export interface OverrideFileRecord {
  pipeline: string;
  partition_key: string;
  kind: OverrideRecord['kind'];
  reason: string;
  requested_by: string;
  /** ISO time. */
  requested_at: string;
  /** The run it concerns (the run forced, the run a rerun started); null for a skip. */
  run_id: string | null;
}

export async function recordOverride(layout: LakeLayout, record: OverrideFileRecord): Promise<void> {
  const name = `${record.requested_at.replace(/[^0-9TZ]/g, '')}-${record.kind}-${randomUUID().slice(0, 8)}.json`;
  await layout.area.writeOnce(path.join(layout.overridesDir(record.pipeline, record.partition_key), name), JSON.stringify(record) + '\n');
}

/** The partitions of `pipeline` that have any override (one directory listing). */
export async function partitionsWithOverrides(layout: LakeLayout, pipeline: string): Promise<Set<string>> {
  const dir = path.dirname(layout.overridesDir(pipeline, '2000-01-01'));
  return new Set((await layout.area.readdir(dir)).filter((n) => n.startsWith('partition_key=')).map((n) => n.slice('partition_key='.length)));
}

/** A partition's overrides, oldest first. */
export async function readOverrides(layout: LakeLayout, pipeline: string, partition: string): Promise<OverrideFileRecord[]> {
  const dir = layout.overridesDir(pipeline, partition);
  const records: OverrideFileRecord[] = [];
  for (const name of (await layout.area.readdir(dir)).filter(isRecordName)) {
    const text = await layout.area.readText(path.join(dir, name));
    try {
      if (text !== undefined) records.push(JSON.parse(text) as OverrideFileRecord);
    } catch {
      // a damaged record is ignored here; `npx conveyor sql` names it
    }
  }
  return records.sort((a, b) => a.requested_at.localeCompare(b.requested_at));
}

/** The skip that waives the partition now (its latest skip or rerun is a skip), or undefined. */
export function activeWaiver(records: OverrideFileRecord[]): OverrideFileRecord | undefined {
  const latest = records.filter((r) => r.kind === 'skip' || r.kind === 'rerun').pop();
  return latest?.kind === 'skip' ? latest : undefined;
}
