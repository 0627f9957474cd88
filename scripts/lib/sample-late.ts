/**
 * `npm start`'s sample data: which partitions are still landing. A generator leaves some keys without
 * their marker (the newest hour of clickstream, say); a downstream partition that reads one of them is
 * still landing too. Both run on their own and wait for their data, as scheduled runs do, instead of
 * being backfilled (a backfill would wait out its readiness deadline and fail them). Pure.
 */
import { partitionSchemeOf, type PipelineDefinition } from '../../definitions/definition';
import type { PipelineRegistry } from '../../definitions/registry';
import { downstreamKeys } from '../../common/mapping';

/** `keys` of `pipeline` that read a key still landing upstream (`lateByPipeline`: each upstream's keys still landing). */
export function lateDownstreamKeys(registry: PipelineRegistry, pipeline: PipelineDefinition, keys: string[], lateByPipeline: ReadonlyMap<string, readonly string[]>): string[] {
  if (pipeline.source.kind !== 'upstream') return [];
  const down = partitionSchemeOf(pipeline);
  const late = new Set<string>();
  for (const input of pipeline.source.inputs) {
    const up = partitionSchemeOf(registry.get(input.pipeline));
    for (const upKey of lateByPipeline.get(input.pipeline) ?? []) for (const key of downstreamKeys(down, up, input, upKey)) late.add(key);
  }
  return keys.filter((k) => late.has(k));
}
