/**
 * planBackfillChunk: which partitions of a chunk of the range need work, and why — decided from
 * the lake's durable records (published files, run manifests, operators' skips), never from memory.
 */
import { partitionSchemeOf } from '../definitions/definition';
import { getLogger } from '../platform/logger';
import { activeWaiver, partitionsWithOverrides, readOverrides } from '../lake/overrides';
import { publishedPartitions, readManifests } from '../lake/runs';
import { withDuckDB } from '../lake/duckdb';
import { staleAmong } from '../lake/staleness';
import type { BackfillChunk, PlanChunkInput, PlannedPartition, WaivedPartition } from '../workflows/backfill-input';
import type { ActivityDeps } from './deps';

interface PartitionRecord {
  published: boolean;
  /** Why it is stale: an upstream partition it read was republished since. */
  staleBecause?: string;
  lastStatus?: string;
  lastClass?: string | null;
}

export function makePlanBackfillChunk(deps: ActivityDeps) {
  return async function planBackfillChunk(input: PlanChunkInput): Promise<BackfillChunk> {
    const scheme = partitionSchemeOf(deps.registry.get(input.pipeline));
    const step = input.order === 'oldest-first' ? 1 : -1;
    // A range walks the scheme's indexes; a key list walks its own positions.
    const list = input.keys;
    const [first, last] = list ? [0, list.length - 1] : [scheme.parse(input.from), scheme.parse(input.to)];
    const positionOf = (key: string) => (list ? list.indexOf(key) : scheme.parse(key));
    const keyAt = (i: number) => (list ? list[i]! : scheme.keyOf(i));
    const inRange = (i: number) => i >= first && i <= last;
    const indexes: number[] = [];
    for (let i = positionOf(input.cursor); indexes.length < input.limit && inRange(i); i += step) indexes.push(i);
    const keys = indexes.map(keyAt);
    const next = (indexes[indexes.length - 1] ?? positionOf(input.cursor)) + step;
    const nextCursor = inRange(next) ? keyAt(next) : null;
    const chunk = new Set(keys);

    const published = await publishedPartitions(deps.lake, input.pipeline, (key) => chunk.has(key));
    const overridden = await partitionsWithOverrides(deps.lake, input.pipeline);
    const stale = input.reprocess === 'stale' ? await withDuckDB((db) => staleAmong(db, deps.lake, input.pipeline, chunk)) : new Map<string, string>();
    const partitions: PlannedPartition[] = [];
    const waived: WaivedPartition[] = [];
    for (const partition of keys) {
      // A skip waives a partition while it has no data; once published (a rerun, a late notify), it is moot.
      const waiver = overridden.has(partition) && !published.has(partition) ? activeWaiver(await readOverrides(deps.lake, input.pipeline, partition)) : undefined;
      if (waiver) {
        waived.push({ partition, reason: `waived by ${waiver.requested_by} at ${waiver.requested_at}: ${waiver.reason}` });
        continue;
      }
      const record: PartitionRecord = { published: published.has(partition), staleBecause: stale.get(partition) };
      // Run history matters for unpublished partitions and for `failed`; published ones skip the read.
      if (!record.published || input.reprocess === 'failed') {
        const runs = await readManifests(deps.lake, input.pipeline, partition, (file) =>
          getLogger().warn({ file }, 'skipping a run manifest that is not valid JSON or not a run record'),
        );
        const latest = runs[runs.length - 1];
        if (latest) Object.assign(record, { lastStatus: latest.status, lastClass: latest.failure_class });
      }
      const reason = reasonToRun(input.reprocess, record);
      if (reason) partitions.push({ partition, reason });
    }
    return { partitions, skipped: keys.length - partitions.length, waived, nextCursor, total: last - first + 1 };
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
    case 'stale':
      return record.staleBecause ? `stale: ${record.staleBecause}` : undefined;
  }
}
