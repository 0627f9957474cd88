/**
 * "Upstream pipelines first", written once: `conveyor start` loads its sample pipelines this way and
 * `conveyor backfill --reprocess stale` reruns stale partitions this way (rerunning a pipeline makes
 * the partitions downstream of it stale in turn, so each must be finished before its downstream is
 * looked at).
 */
import { upstreamOf, type PipelineDefinition } from '../definitions/definition';
import type { PipelineRegistry } from '../definitions/registry';

export interface WalkOutcome {
  /** The pipeline whose step returned false, which stopped the walk. */
  stoppedAt?: string;
  /** The pipelines not started because the walk stopped. */
  notVisited: string[];
}

/**
 * Run `step` for each of `names` once every upstream of it among them has finished: one at a time
 * in the registry's upstream-first order, or each wave of ready pipelines side by side (`concurrent`).
 * A step that returns false stops the walk once its wave has finished.
 */
export async function walkUpstreamFirst(
  registry: PipelineRegistry,
  names: readonly string[],
  step: (pipeline: PipelineDefinition) => Promise<boolean>,
  options: { concurrent: boolean },
): Promise<WalkOutcome> {
  const wanted = new Set(names);
  const done = new Set<string>();
  const pending = () => registry.upstreamFirst().filter((p) => wanted.has(p.name) && !done.has(p.name));
  for (let left = pending(); left.length > 0; left = pending()) {
    const ready = left.filter((p) => upstreamOf(p).every((u) => !wanted.has(u) || done.has(u)));
    const wave = options.concurrent ? ready : ready.slice(0, 1);
    const outcomes = await Promise.all(wave.map(async (p) => ({ name: p.name, ok: await step(p) })));
    for (const { name } of outcomes) done.add(name);
    const failed = outcomes.find((o) => !o.ok);
    if (failed) return { stoppedAt: failed.name, notVisited: pending().map((p) => p.name) };
  }
  return { notVisited: [] };
}
