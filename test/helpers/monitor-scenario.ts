/**
 * A pipeline with a known recent history, for the monitoring and dashboard tests: `orders` over the
 * newest nine available days, run for real through the partition workflow:
 * - most days published by backfill runs (400 rows);
 * - one day `failed` (5% malformed rows: a data failure);
 * - one day `missing` (nothing landed, nothing ran);
 * - one day with a row-count drop (100 rows);
 * - the newest, published by a scheduled run after its deadline (late), so freshness is broken
 *   until the next day (`publishNext`) is published.
 * The freshness objective is set from the clock so those facts hold whenever the test runs.
 */
import { randomUUID } from 'node:crypto';
import { startPartitionRun, waitForPartitionRun } from '../../client/partition-runs';
import { addDays, partitionKeyOf } from '../../common/partition-key';
import type { RunKind } from '../../common/search-attributes';
import { definePipeline, type PipelineDefinition } from '../../definitions/definition';
import { ordersPipeline } from '../../pipelines/orders/definition';
import { generateOrdersPartition } from '../../pipelines/orders/generate';
import { latestAvailablePartition, PipelineRegistry } from '../../definitions/registry';
import type { Harness } from './harness';

/**
 * `orders`, starting nine days back, with a freshness objective between the age of yesterday's data
 * (hours since midnight) and that of the day before (24 h more), so the newest partition alone decides.
 */
export function scenarioPipeline(nowMs = Date.now()): PipelineDefinition {
  const last = latestAvailablePartition(ordersPipeline, nowMs);
  const hoursSinceMidnight = (nowMs - Date.parse(`${partitionKeyOf(nowMs)}T00:00:00Z`)) / 3_600_000;
  return definePipeline({
    ...ordersPipeline,
    partitions: { kind: 'daily', first: addDays(last, -9), lag: 1 },
    freshnessObjectiveHours: Math.round((hoursSinceMidnight + 12) * 100) / 100,
    readiness: { ...ordersPipeline.readiness, pollIntervalSeconds: 1, timeoutSeconds: 60 },
  });
}

export const scenarioRegistry = (pipeline: PipelineDefinition) => new PipelineRegistry([pipeline]);

export interface Scenario {
  /** The nine days, oldest first, then `next` (published by `publishNext`). */
  days: string[];
  failed: string;
  missing: string;
  drop: string;
  late: string;
  next: string;
  /** Each run, by partition. */
  runs: Map<string, { workflowId: string; runId: string }>;
  publishNext(): Promise<void>;
}

export async function buildScenario(h: Harness, pipeline: PipelineDefinition): Promise<Scenario> {
  const next = latestAvailablePartition(pipeline, Date.now());
  const days = Array.from({ length: 9 }, (_, i) => addDays(next, i - 9));
  const [failed, missing, drop, late] = [days[5]!, days[3]!, days[7]!, days[8]!];
  const runs = new Map<string, { workflowId: string; runId: string }>();
  const run = async (partition: string, runKind: RunKind) => {
    const r = await startPartitionRun(h.env.client, { pipeline: 'orders', partition, runKind, ...(runKind === 'backfill' ? { backfillId: `test-${randomUUID().slice(0, 8)}` } : {}) }, { config: h.config, registry: h.registry });
    runs.set(partition, { workflowId: r.workflowId, runId: r.runId });
    return waitForPartitionRun(r);
  };
  const generate = (partition: string, rows: number, malformed = false) =>
    generateOrdersPartition({ landingDir: h.config.landingDir, partition, rows, files: 1, faults: malformed ? ['malformed'] : [] });
  for (const day of days) {
    if (day === missing) continue;
    generate(day, day === drop ? 100 : 400, day === failed);
  }
  // Oldest first (the late day last), so the late day's run is the newest published.
  const outcomes = await Promise.all(days.filter((d) => d !== missing && d !== late).map((d) => run(d, 'backfill')));
  outcomes.push(await run(late, 'scheduled'));
  const states = outcomes.map((o) => o.status);
  if (states.filter((s) => s === 'failed').length !== 1) throw new Error(`scenario: expected exactly one failed run, got ${JSON.stringify(states)}`);
  return {
    days,
    failed,
    missing,
    drop,
    late,
    next,
    runs,
    async publishNext() {
      generate(next, 400);
      const outcome = await run(next, 'scheduled');
      if (outcome.status !== 'succeeded') throw new Error(`scenario: ${next} did not publish`);
    },
  };
}
