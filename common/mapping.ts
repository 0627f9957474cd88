/**
 * Partition mappings: which partitions of an upstream one partition reads, as one contiguous range of
 * upstream keys (so readiness and lineage work on ranges, never on lists). Pure.
 */
import type { PartitionScheme } from './partitions';
import { z } from 'zod';

/**
 * Which partitions of an upstream a partition reads (written as an object, or `same` and `covering` as strings):
 * - `same`: the same key (both pipelines have the same scheme);
 * - `covering`: every partition of a finer (or equal) upstream that overlaps this partition's window,
 *   straddling ones included (a day ← its 24 hours; a month ← its days, or the weeks that touch it);
 * - `window`: the last `partitions` partitions up to this one (a 7-day rolling table; same scheme).
 */
const MAPPING_FORMS = "'same', 'covering' or { kind: 'window', partitions: N }";

const mappingObjectSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('same') }),
    z.object({ kind: z.literal('covering') }),
    z.object({ kind: z.literal('window'), partitions: z.number({ error: 'expected a whole number of partitions from 1 to 1000' }).int().min(1).max(1000) }),
  ],
  { error: `expected ${MAPPING_FORMS}` },
);
export type PartitionMapping = z.infer<typeof mappingObjectSchema>;

/**
 * A mapping as a definition writes it: the object, or 'same' / 'covering' as a string. A preprocess
 * (rather than a union) keeps zod's messages: the forms allowed, or the bad field of a window. Its
 * declared input type is what the preprocess accepts, so an editor checks a definition's mappings.
 */
export const partitionMappingSchema = z.preprocess(
  (value) => (value === 'same' || value === 'covering' ? { kind: value } : value),
  mappingObjectSchema,
) as unknown as z.ZodType<PartitionMapping, PartitionMapping | 'same' | 'covering'>;

/** What a mapping needs of an upstream input: which pipeline, how its partitions map, and a shift. */
export interface MappedInput {
  pipeline: string;
  mapping: PartitionMapping;
  shift: number;
}

const FINENESS: Record<string, number> = { hourly: 0, daily: 1, weekly: 2, monthly: 3 };

/** Why a mapping cannot join these two schemes (one line), or undefined when it can. */
export function mappingError(down: PartitionScheme, up: PartitionScheme, input: MappedInput): string | undefined {
  const pair = `${down.kind === 'hourly' ? 'an' : 'a'} ${down.kind} pipeline reading ${input.pipeline} (${up.kind})`;
  switch (input.mapping.kind) {
    case 'same':
    case 'window':
      if (down.kind !== up.kind) return `${pair} with '${input.mapping.kind}' needs the same scheme; use 'covering' to read a finer one`;
      if (down.kind === 'static' && input.mapping.kind === 'window') return `${pair}: 'window' needs time partitions`;
      if (down.kind === 'static' && (down.spec as { keys: string[] }).keys.some((k) => !up.isKey(k))) {
        return `${pair} with 'same': every key must be one of ${input.pipeline}'s (${up.describeKey()})`;
      }
      return undefined;
    case 'covering':
      if (down.kind === 'static' || up.kind === 'static') return `${pair}: 'covering' needs time partitions`;
      if (FINENESS[up.kind]! > FINENESS[down.kind]!) {
        return `${pair} with 'covering' needs an upstream as fine or finer (allowed: ${Object.keys(FINENESS).filter((k) => FINENESS[k]! <= FINENESS[down.kind]!).join(', ')})`;
      }
      return undefined;
  }
}

/** The upstream keys `key` reads, oldest first, as a range (both ends inclusive). */
export function upstreamRange(down: PartitionScheme, up: PartitionScheme, input: MappedInput, key: string): { from: string; to: string } {
  const shifted = (k: string) => {
    const s = up.next(k, input.shift);
    if (s === undefined) throw new RangeError(`${input.pipeline}: shifting ${k} by ${input.shift} leaves its key set`);
    return s;
  };
  switch (input.mapping.kind) {
    case 'same': {
      const k = shifted(key);
      return { from: k, to: k };
    }
    case 'window': {
      const to = shifted(key);
      return { from: up.next(to, -(input.mapping.partitions - 1))!, to };
    }
    case 'covering': {
      const { startMs, endMs } = down.windowOf(key);
      return { from: shifted(up.keyAt(startMs)), to: shifted(up.keyAt(endMs - 1)) };
    }
  }
}

/**
 * The downstream keys whose mapped range holds upstream key `upKey`: whom a publish of it concerns
 * (a day's partition for each of its hours; the months a straddling week touches; the windows it is in).
 * Keys outside the downstream's scheme (before its first, past a static set's end) are left out.
 */
export function downstreamKeys(down: PartitionScheme, up: PartitionScheme, input: MappedInput, upKey: string): string[] {
  const unshifted = up.next(upKey, -input.shift);
  if (unshifted === undefined) return [];
  const keys: string[] = [];
  switch (input.mapping.kind) {
    case 'same':
      if (down.isKey(unshifted)) keys.push(unshifted);
      break;
    case 'window':
      for (let i = 0; i < input.mapping.partitions; i += 1) {
        const k = down.next(unshifted, i);
        if (k !== undefined) keys.push(k);
      }
      break;
    case 'covering': {
      const { startMs, endMs } = up.windowOf(unshifted);
      const [first, last] = [down.keyAt(startMs), down.keyAt(endMs - 1)];
      keys.push(...down.range(first, last));
      break;
    }
  }
  const firstIndex = down.indexOf(down.first)!;
  return keys.filter((k) => down.indexOf(k)! >= firstIndex);
}
