/**
 * Sample data from a pipeline folder's generator: `conveyor generate` lands a range of partitions
 * (into the landing zone, a folder or a bucket, the marker last), and `conveyor start` plans what it
 * can load for its demo: the last days of every pipeline it can make data for, and which of their
 * partitions are still landing (a generator leaves some without a marker; a downstream partition
 * reading one of those waits too).
 */
import { InputError } from '../common/errors';
import { downstreamKeys } from '../common/mapping';
import { partitionSchemeOf, upstreamOf, type PipelineDefinition } from '../definitions/definition';
import type { GeneratorFault, SampleGenerator } from '../definitions/generator';
import { assertPartitionKey, findGeneratorOf, generatorOf, latestAvailablePartition, type PipelineRegistry } from '../definitions/registry';
import { landingOf } from '../landing/landing-zone';
import type { ConveyorConfig } from '../platform/config';

/** At most this many partitions at once. */
export const MAX_SAMPLE_PARTITIONS = 20_000;

export interface SampleRequest {
  pipeline: string;
  from: string;
  to: string;
  rows?: number;
  files?: number;
  /** `KEY=KIND` or `KEY=KIND:N`, the generator's own fault kinds. */
  faults?: string[];
}

export interface LandedSample {
  partition: string;
  rows: number;
  /** Where it landed, as a user reads it (a path, or an s3:// URL). */
  shown: string;
  faults: GeneratorFault[];
}

/** Land sample files for `from..to`, one partition at a time; each reported as it lands. Bad input is refused before anything is written. */
export async function landSample(
  deployment: { config: ConveyorConfig; registry: PipelineRegistry },
  request: SampleRequest,
  onLanded: (landed: LandedSample) => void = () => undefined,
): Promise<{ partitions: number; rows: number }> {
  const pipeline = deployment.registry.get(request.pipeline);
  const generator = generatorOf(deployment.registry, request.pipeline);
  const keys = sampleRange(pipeline, request.from, request.to);
  const faults = (request.faults ?? []).map((spec) => parseFault(pipeline, generator, spec));
  const landing = landingOf(deployment.config);
  let rows = 0;
  for (const partition of keys) {
    const mine = faults.filter((f) => f.partition === partition).map((f) => f.fault);
    const result = await generator.generate({ landingDir: landing.root, partition, rows: request.rows, files: request.files, faults: mine });
    // A landing zone in S3: the files generated into its local cache go up, the marker last.
    await landing.pushFolder(result.dir, pipeline.source.kind === 'files' ? pipeline.source.marker : undefined);
    rows += result.rowsWritten;
    onLanded({ partition, rows: result.rowsWritten, shown: landing.shown(result.dir), faults: mine });
  }
  return { partitions: keys.length, rows };
}

function sampleRange(pipeline: PipelineDefinition, from: string, to: string): string[] {
  assertPartitionKey(pipeline, from, '--from');
  assertPartitionKey(pipeline, to, '--to');
  const scheme = partitionSchemeOf(pipeline);
  if (scheme.indexOf(from)! > scheme.indexOf(to)!) throw new InputError(`--from ${from} is after --to ${to}`);
  const count = scheme.count(from, to);
  if (count > MAX_SAMPLE_PARTITIONS) throw new InputError(`--from ${from} --to ${to} is ${count} partitions: at most ${MAX_SAMPLE_PARTITIONS} at once`);
  return [...scheme.range(from, to)];
}

function parseFault(pipeline: PipelineDefinition, generator: SampleGenerator, spec: string): { partition: string; fault: GeneratorFault } {
  const match = /^([^=]+)=([a-z-]+)(?::(\d+))?$/.exec(spec);
  if (!match || !generator.faults.includes(match[2]!)) {
    throw new InputError(`invalid --fault "${spec}": expected KEY=KIND with KIND one of ${generator.faults.join(', ')}`);
  }
  assertPartitionKey(pipeline, match[1]!, '--fault key');
  return { partition: match[1]!, fault: { kind: match[2]!, ...(match[3] ? { count: Number(match[3]) } : {}) } };
}

/** What the demo loads of one pipeline: its partitions of the last days, its generator if it has one, and the keys still landing. */
export interface SamplePipeline {
  pipeline: PipelineDefinition;
  keys: string[];
  generator?: SampleGenerator;
  /** Keys still landing (no marker yet, or reading an upstream key that is): run on their own, not backfilled. */
  late: string[];
}

/**
 * What the demo can load: pipelines whose files it can generate (their folder has a generator), and
 * upstream pipelines whose every upstream it loads; each with the partitions of the last `days` days
 * (from midnight UTC, so a day's downstream partition finds all the hours it covers). The others (a
 * team's pipeline without a generator, a function source) are left to their schedules.
 */
export function samplePlan(registry: PipelineRegistry, nowMs: number, days: number): SamplePipeline[] {
  const since = (Math.floor(nowMs / 86_400_000) - days) * 86_400_000;
  const loadable = (pipeline: PipelineDefinition): boolean => {
    if (pipeline.source.kind === 'files') return findGeneratorOf(registry, pipeline.name) !== undefined;
    if (pipeline.source.kind === 'upstream') return upstreamOf(pipeline).every((u) => loadable(registry.get(u)));
    return false;
  };
  return registry.all().filter(loadable).map((pipeline) => {
    const scheme = partitionSchemeOf(pipeline);
    const last = latestAvailablePartition(pipeline, nowMs);
    const firstIndex = scheme.indexOf(scheme.first)!;
    const from = scheme.isTime ? Math.max(firstIndex, scheme.indexOf(scheme.keyAt(since))!) : firstIndex;
    const keys = from <= scheme.indexOf(last)! ? [...scheme.range(scheme.keyOf(from), last)] : [];
    return { pipeline, keys, generator: findGeneratorOf(registry, pipeline.name), late: [] };
  });
}

/** `keys` of `pipeline` that read a key still landing upstream (`lateByPipeline`: each upstream's keys still landing). Pure. */
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

/**
 * Land the demo's sample data: each pipeline's keys from its generator, with the faults it shows in a
 * demo (`demoFaults`); a key left without its marker is recorded in `late`, still landing.
 */
export async function landDemoSample(config: ConveyorConfig, plan: SamplePipeline[], rows?: number): Promise<void> {
  const landing = landingOf(config);
  for (const s of plan) {
    if (!s.generator || s.keys.length === 0) continue;
    const faults = s.generator.demoFaults?.(s.keys) ?? {};
    for (const key of s.keys) {
      const result = await s.generator.generate({ landingDir: landing.root, partition: key, rows, faults: faults[key] ?? [] });
      await landing.pushFolder(result.dir, s.pipeline.source.kind === 'files' ? s.pipeline.source.marker : undefined);
    }
    s.late = s.keys.filter((k) => faults[k]?.some((f) => f.kind === 'no-marker'));
  }
}
