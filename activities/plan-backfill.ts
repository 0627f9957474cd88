/**
 * planBackfillChunk: which partitions of a chunk of the range need work, and why — decided from
 * the lake's durable records (published files, run manifests, operators' skips), never from memory.
 */
import { addDays } from '../common/partition-key';
import { getLogger } from '../common/logger';
import { activeWaiver, partitionsWithOverrides, readOverrides } from '../lake/overrides';
import { publishedPartitions, readManifests } from '../lake/runs';
import type { BackfillChunk, PlanChunkInput, PlannedPartition, WaivedPartition } from '../workflows/backfill-input';
import type { ActivityDeps } from './deps';

interface PartitionRecord {
  published: boolean;
  lastStatus?: string;
  lastClass?: string | null;
}

export function makePlanBackfillChunk(deps: ActivityDeps) {
  return async function planBackfillChunk(input: PlanChunkInput): Promise<BackfillChunk> {
    deps.registry.get(input.pipeline);
    const step = input.order === 'oldest-first' ? 1 : -1;
    const keys: string[] = [];
    for (let key = input.cursor; keys.length < input.limit && key >= input.from && key <= input.to; key = addDays(key, step)) {
      keys.push(key);
    }
    const last = keys[keys.length - 1] ?? input.cursor;
    const next = addDays(last, step);
    const nextCursor = next >= input.from && next <= input.to ? next : null;
    const [lo, hi] = step === 1 ? [keys[0]!, last] : [last, keys[0]!];

    const published = await publishedPartitions(deps.lake, input.pipeline, { from: lo, to: hi });
    const overridden = await partitionsWithOverrides(deps.lake, input.pipeline);
    const partitions: PlannedPartition[] = [];
    const waived: WaivedPartition[] = [];
    for (const partition of keys) {
      // A skip waives a partition while it has no data; once published (a rerun, a late notify), it is moot.
      const waiver = overridden.has(partition) && !published.has(partition) ? activeWaiver(await readOverrides(deps.lake, input.pipeline, partition)) : undefined;
      if (waiver) {
        waived.push({ partition, reason: `waived by ${waiver.requested_by} at ${waiver.requested_at}: ${waiver.reason}` });
        continue;
      }
      const record: PartitionRecord = { published: published.has(partition) };
      // Run history matters for unpublished partitions and for `failed`; published ones skip the read.
      if (!record.published || input.reprocess === 'failed') {
        const runs = await readManifests(deps.lake, input.pipeline, partition, (file) =>
          getLogger().warn({ file }, 'skipping a run manifest that is not valid JSON'),
        );
        const latest = runs[runs.length - 1];
        if (latest) Object.assign(record, { lastStatus: latest.status, lastClass: latest.failure_class });
      }
      const reason = reasonToRun(input.reprocess, record);
      if (reason) partitions.push({ partition, reason });
    }
    return { partitions, skipped: keys.length - partitions.length, waived, nextCursor };
  };
}

function reasonToRun(mode: PlanChunkInput['reprocess'], record: PartitionRecord): string | undefined {
  const lastFailed = record.lastStatus === 'failed';
  const failedNote = lastFailed ? `last run failed (${record.lastClass ?? 'unknown'})` : undefined;
  switch (mode) {
    case 'all':
      return record.published ? 'reprocess all: republish' : 'reprocess all: not yet published';
    case 'missing':
      if (record.published) return undefined;
      return failedNote ? `not published; ${failedNote}` : 'never published';
    case 'failed':
      return lastFailed ? failedNote : undefined;
  }
}
