/**
 * Every workflow and schedule ID Conveyor uses, in one place. IDs are part of the contract: one ID
 * per partition means one run of it at a time, whoever starts it (any SDK, the CLI, the Web UI, the
 * HTTP API).
 *
 * The separator is `.`: Temporal's HTTP API decodes a path once and then splits it on `/`, so an ID
 * with `/` cannot be addressed over HTTP at all (`%2F` is not found, `%252F` starts a workflow whose
 * ID holds a literal `%2F`). Pipeline names are `[a-z][a-z0-9_]*` and keys `[A-Za-z0-9][A-Za-z0-9_-]*`,
 * so every ID below is made of URL-safe characters, plus `+` in a key list and the `:` of the time a
 * Schedule appends; both work in a path as they are and percent-encoded. Pure: workflow code imports it.
 */

export const ID_SEPARATOR = '.';

/** `orders.2024-03-01`: the partition run of `pipeline` for `partition`. */
export function partitionWorkflowId(pipeline: string, partition: string): string {
  return `${pipeline}${ID_SEPARATOR}${partition}`;
}

/** The pipeline and partition of a partition run's ID (pipeline names hold no `.`); undefined for another ID. */
export function parsePartitionWorkflowId(workflowId: string): { pipeline: string; partition: string } | undefined {
  const at = workflowId.indexOf(ID_SEPARATOR);
  if (at <= 0 || at === workflowId.length - 1) return undefined;
  return { pipeline: workflowId.slice(0, at), partition: workflowId.slice(at + 1) };
}

/** The Temporal Schedule that runs a pipeline (one per pipeline). */
export const SCHEDULE_ID_PREFIX = 'conveyor-';
export function scheduleIdOf(pipeline: string): string {
  return `${SCHEDULE_ID_PREFIX}${pipeline}`;
}

/** The Temporal Schedule that runs a pipeline's monitor every few minutes. Pipeline names have no `-`. */
export const MONITOR_SCHEDULE_SUFFIX = '-monitor';
export function monitorScheduleIdOf(pipeline: string): string {
  return `${SCHEDULE_ID_PREFIX}${pipeline}${MONITOR_SCHEDULE_SUFFIX}`;
}

/** The ID a monitor Schedule gives its runs, before Temporal appends `-<scheduled time>`: `orders.monitor`. */
export function monitorWorkflowIdOf(pipeline: string): string {
  return `${pipeline}${ID_SEPARATOR}monitor`;
}

/** The ID a Schedule gives its runs, before Temporal appends the scheduled time: `orders.scheduled-2024-03-02T02:00:00Z`. */
export function scheduledWorkflowIdOf(pipeline: string): string {
  return `${pipeline}${ID_SEPARATOR}scheduled`;
}

/**
 * A backfill's ID, derived from the arguments that define its work, so starting the same backfill
 * twice attaches: `backfill.orders.2024-01-01..2024-01-31.missing.oldest-first`, or for a key list
 * `backfill.region_sales.keys-apac+eu.all.oldest-first` (a long list: its first and last key, its
 * length and a hash of it).
 */
export function backfillIdOf(req: { pipeline: string; from: string; to: string; keys?: readonly string[]; reprocess: string; order: string }): string {
  const joined = req.keys?.join('+');
  const what =
    joined === undefined
      ? `${req.from}..${req.to}`
      : joined.length <= 200
        ? `keys-${joined}`
        : `keys-${req.keys![0]}+${req.keys!.length - 2}-more+${req.keys![req.keys!.length - 1]}-${hash53(joined).toString(36)}`;
  return ['backfill', req.pipeline, what, req.reprocess, req.order].join(ID_SEPARATOR);
}

/** The dry run of a backfill (a short workflow that plans it). */
export function backfillPlanIdOf(backfillId: string): string {
  return `${backfillId}${ID_SEPARATOR}plan`;
}

/** A 53-bit string hash (cyrb53): pure, so the ID can be derived anywhere; collisions need ~2^26 lists of one pipeline. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
