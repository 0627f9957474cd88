/**
 * planBackfillChunk: which partitions of a chunk of the range need work, and why — decided from
 * the warehouse's durable records (`meta.published_partitions`, `meta.partition_runs`), never from memory.
 */
import { addDays } from '../common/partition-key';
import type { BackfillChunk, PlanChunkInput, PlannedPartition } from '../workflows/backfill-input';
import { ensureWarehouseSchema } from '../warehouse/schema';
import type { ActivityDeps } from './deps';

export function makePlanBackfillChunk(deps: ActivityDeps) {
  return async function planBackfillChunk(input: PlanChunkInput): Promise<BackfillChunk> {
    deps.registry.get(input.pipeline);
    await ensureWarehouseSchema(deps.warehouse, []);
    const step = input.order === 'oldest-first' ? 1 : -1;
    const keys: string[] = [];
    for (let key = input.cursor; keys.length < input.limit && key >= input.from && key <= input.to; key = addDays(key, step)) {
      keys.push(key);
    }
    const last = keys[keys.length - 1] ?? input.cursor;
    const next = addDays(last, step);
    const nextCursor = next >= input.from && next <= input.to ? next : null;
    const [lo, hi] = step === 1 ? [keys[0]!, last] : [last, keys[0]!];

    const records = await deps.warehouse.withSession((db) =>
      db.query<{ partition_key: string; published: boolean; last_status: string | null; last_class: string | null }>(
        `WITH latest AS (
           SELECT partition_key, arg_max(status, finished_at) AS last_status, arg_max(failure_class, finished_at) AS last_class
           FROM meta.partition_runs WHERE pipeline = $pipeline AND partition_key BETWEEN $lo AND $hi GROUP BY partition_key)
         SELECT coalesce(p.partition_key, l.partition_key) AS partition_key, p.partition_key IS NOT NULL AS published,
                l.last_status, l.last_class
         FROM (SELECT partition_key FROM meta.published_partitions WHERE pipeline = $pipeline AND partition_key BETWEEN $lo AND $hi) p
         FULL OUTER JOIN latest l USING (partition_key)`,
        { pipeline: input.pipeline, lo, hi },
      ),
    );
    const byKey = new Map(records.map((r) => [r.partition_key, r]));
    const partitions: PlannedPartition[] = [];
    for (const partition of keys) {
      const reason = reasonToRun(input.reprocess, byKey.get(partition));
      if (reason) partitions.push({ partition, reason });
    }
    return { partitions, skipped: keys.length - partitions.length, nextCursor };
  };
}

function reasonToRun(
  mode: PlanChunkInput['reprocess'],
  record: { published: boolean; last_status: string | null; last_class: string | null } | undefined,
): string | undefined {
  const lastFailed = record?.last_status === 'failed';
  const failedNote = lastFailed ? `last run failed (${record?.last_class ?? 'unknown'})` : undefined;
  switch (mode) {
    case 'all':
      return record?.published ? 'reprocess all: republish' : 'reprocess all: not yet published';
    case 'missing':
      if (record?.published) return undefined;
      return failedNote ? `not published; ${failedNote}` : 'never published';
    case 'failed':
      return lastFailed ? failedNote : undefined;
  }
}
