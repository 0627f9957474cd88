/**
 * Partition mappings: which partitions of an upstream one partition reads, as one contiguous range of
 * upstream keys (so readiness and lineage work on ranges, never on lists). Pure.
 */
import type { PartitionScheme } from '../common/partitions';
import type { UpstreamInput } from './schema';

const FINENESS: Record<string, number> = { hourly: 0, daily: 1, weekly: 2, monthly: 3 };

/** Why a mapping cannot join these two schemes (one line), or undefined when it can. */
export function mappingError(down: PartitionScheme, up: PartitionScheme, input: UpstreamInput): string | undefined {
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
export function upstreamRange(down: PartitionScheme, up: PartitionScheme, input: UpstreamInput, key: string): { from: string; to: string } {
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
