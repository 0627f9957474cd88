/**
 * Conveyor's custom search attributes: what makes runs findable in the Temporal Web UI
 * (e.g. `Pipeline = "orders" AND RunKind = "backfill"`). All Keyword-typed.
 * The dev server registers them at start (scripts/lib/dev-server.ts, test/helpers); docker-compose does it with the CLI.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PIPELINE_SA = defineSearchAttributeKey('Pipeline', SearchAttributeType.KEYWORD);
export const PARTITION_SA = defineSearchAttributeKey('Partition', SearchAttributeType.KEYWORD);
export const RUN_KIND_SA = defineSearchAttributeKey('RunKind', SearchAttributeType.KEYWORD);
export const BACKFILL_ID_SA = defineSearchAttributeKey('BackfillId', SearchAttributeType.KEYWORD);

export const CONVEYOR_SEARCH_ATTRIBUTES = [PIPELINE_SA, PARTITION_SA, RUN_KIND_SA, BACKFILL_ID_SA];

/** The search attributes of a partition's run, whoever starts it (client, backfill, schedule, upsert). */
export function partitionSearchAttributes(run: { pipeline: string; partition: string; runKind: RunKind; backfillId?: string }) {
  return [
    { key: PIPELINE_SA, value: run.pipeline },
    { key: PARTITION_SA, value: run.partition },
    { key: RUN_KIND_SA, value: run.runKind },
    ...(run.backfillId ? [{ key: BACKFILL_ID_SA, value: run.backfillId }] : []),
  ];
}

/** Temporal's own: set by a Schedule on each run it starts, to the time that run was scheduled for. */
export const SCHEDULED_START_TIME_SA = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** `event`: started by a notification that the partition's data landed (`npx conveyor notify`). */
export const RUN_KINDS = ['scheduled', 'manual', 'backfill', 'event'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
