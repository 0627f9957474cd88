/**
 * A pipeline's definition as a run carries it (common/run-types.ts `PipelineSnapshot`): taken once
 * when the run starts, handed to every step, so a deploy in the middle of a run does not mix two
 * versions of its pipeline. JSON: a file pattern travels as `{ regex, flags }`, a source function as
 * `{ function: name }`; the steps rebuild the definition from it, with the deployed code of the
 * function (code cannot travel in a history).
 */
import type { PipelineSnapshot } from '../common/run-types';
import { pipelineDefinitionSchema, type PipelineDefinition } from './definition';
import type { PipelineRegistry } from './registry';

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** The definition as JSON. */
export function snapshotOf(pipeline: PipelineDefinition): PipelineSnapshot {
  const encode = (value: unknown): unknown => {
    if (value instanceof RegExp) return { regex: value.source, flags: value.flags };
    if (typeof value === 'function') return { function: value.name || 'anonymous' };
    if (Array.isArray(value)) return value.map(encode);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, encode(v)]));
    return value;
  };
  return { name: pipeline.name, definition: encode(pipeline) as Record<string, unknown> };
}

/**
 * The definition a step runs, rebuilt from the run's snapshot. A function source runs the deployed
 * code of the same pipeline; if that is gone or renamed, the step fails in one line (a `code` failure).
 */
export function definitionOfSnapshot(snapshot: PipelineSnapshot, registry: PipelineRegistry): PipelineDefinition {
  const source = snapshot.definition.source as Record<string, unknown> | undefined;
  const decode = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(decode);
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    if (typeof record.regex === 'string' && typeof record.flags === 'string' && Object.keys(record).length === 2) return new RegExp(record.regex, record.flags);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decode(v)]));
  };
  const definition = decode(snapshot.definition) as Record<string, unknown>;
  if (source?.kind === 'function') {
    const wanted = (source.rows as { function?: string } | undefined)?.function;
    const deployed = registry.find(snapshot.name)?.source;
    if (deployed?.kind !== 'function' || (deployed.rows.name || 'anonymous') !== wanted) {
      throw new SnapshotError(
        `${snapshot.name}: the run was started with source function ${wanted}, which the deployed code no longer has (${deployed?.kind === 'function' ? `it has ${deployed.rows.name || 'an anonymous one'}` : deployed ? `its source is ${deployed.kind}` : 'no such pipeline'}); rerun the partition`,
      );
    }
    definition.source = { ...(definition.source as object), rows: deployed.rows };
  }
  const parsed = pipelineDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SnapshotError(`${snapshot.name}: the run's pipeline snapshot does not parse (${issue.path.join('.')}: ${issue.message})`);
  }
  return parsed.data;
}
