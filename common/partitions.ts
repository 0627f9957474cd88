/**
 * Partition schemes: how a pipeline's partitions are keyed. Time windows (hourly, daily, weekly,
 * monthly; UTC) and a static key set (tenants, regions). Everything that used to assume a date asks
 * the scheme instead: what a key looks like, which keys a range holds, which one is the newest whose
 * data can exist, and when a window starts and ends.
 *
 * Keys are safe as a path segment and a workflow ID, and time keys sort in time order as strings:
 * `2024-03-01T05` (hour), `2024-03-01` (day), `2024-W10` (ISO week, Monday to Sunday), `2024-03` (month).
 *
 * Pure and deterministic: imported by workflow code as well as by activities and CLIs.
 */
import { z } from 'zod';

export const PARTITION_KINDS = ['hourly', 'daily', 'weekly', 'monthly', 'static'] as const;
export type PartitionKind = (typeof PARTITION_KINDS)[number];
export type TimeKind = Exclude<PartitionKind, 'static'>;

/** Any partition key of any scheme: what a workflow ID, a path segment and a search attribute can hold. */
export const ANY_PARTITION_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A static key: lower-case letters, digits, `_` and `-`, starting with a letter or digit. */
const STATIC_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Keys that would collide with the IDs of a pipeline's monitor and scheduled runs (`<pipeline>.monitor`). */
const RESERVED_KEYS = ['monitor', 'scheduled'];

const MS = { hour: 3_600_000, day: 86_400_000 } as const;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

interface TimeCodec {
  unit: string;
  form: string;
  example: string;
  pattern: RegExp;
  /** The window index of a well-formed key (undefined when it names no real window, e.g. 2023-02-30). */
  indexOf(key: string): number | undefined;
  keyOf(index: number): string;
  startMs(index: number): number;
  /** The index of the window holding `epochMs`. */
  indexAt(epochMs: number): number;
}

const dayKey = (day: number) => new Date(day * MS.day).toISOString().slice(0, 10);
function dayOf(y: number, m: number, d: number): number | undefined {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return Math.round(date.getTime() / MS.day);
}

const CODECS: Record<TimeKind, TimeCodec> = {
  hourly: {
    unit: 'hour',
    form: 'YYYY-MM-DDTHH',
    example: '2024-03-01T05',
    pattern: /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/,
    indexOf(key) {
      const m = this.pattern.exec(key);
      if (!m) return undefined;
      const day = dayOf(Number(m[1]), Number(m[2]), Number(m[3]));
      const hour = Number(m[4]);
      return day === undefined || hour > 23 ? undefined : day * 24 + hour;
    },
    keyOf: (index) => `${dayKey(Math.floor(index / 24))}T${pad(((index % 24) + 24) % 24)}`,
    startMs: (index) => index * MS.hour,
    indexAt: (ms) => Math.floor(ms / MS.hour),
  },
  daily: {
    unit: 'day',
    form: 'YYYY-MM-DD',
    example: '2024-03-01',
    pattern: /^(\d{4})-(\d{2})-(\d{2})$/,
    indexOf(key) {
      const m = this.pattern.exec(key);
      return m ? dayOf(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
    },
    keyOf: dayKey,
    startMs: (index) => index * MS.day,
    indexAt: (ms) => Math.floor(ms / MS.day),
  },
  weekly: {
    unit: 'week',
    form: 'YYYY-Www (ISO week, Monday to Sunday)',
    example: '2024-W10',
    pattern: /^(\d{4})-W(\d{2})$/,
    // Week index 0 starts on Monday 1969-12-29 (day -3).
    indexOf(key) {
      const m = this.pattern.exec(key);
      if (!m) return undefined;
      const year = Number(m[1]);
      const week = Number(m[2]);
      const jan4 = dayOf(year, 1, 4)!;
      const index = Math.floor((jan4 + 3) / 7) + week - 1;
      return week >= 1 && this.keyOf(index) === key ? index : undefined;
    },
    keyOf(index) {
      const thursday = index * 7 - 3 + 3;
      const date = new Date(thursday * MS.day);
      const year = date.getUTCFullYear();
      const week = Math.floor((thursday - dayOf(year, 1, 1)!) / 7) + 1;
      return `${year}-W${pad(week)}`;
    },
    startMs: (index) => (index * 7 - 3) * MS.day,
    indexAt: (ms) => Math.floor((Math.floor(ms / MS.day) + 3) / 7),
  },
  monthly: {
    unit: 'month',
    form: 'YYYY-MM',
    example: '2024-03',
    pattern: /^(\d{4})-(\d{2})$/,
    indexOf(key) {
      const m = this.pattern.exec(key);
      if (!m) return undefined;
      const month = Number(m[2]);
      return month >= 1 && month <= 12 ? Number(m[1]) * 12 + month - 1 : undefined;
    },
    keyOf: (index) => `${pad(Math.floor(index / 12), 4)}-${pad((index % 12) + 1)}`,
    startMs: (index) => Date.UTC(Math.floor(index / 12), index % 12, 1),
    indexAt: (ms) => {
      const d = new Date(ms);
      return d.getUTCFullYear() * 12 + d.getUTCMonth();
    },
  },
};

const lag = (unit: string, max: number) =>
  z.number().int().min(0).max(max).default(1).describe(`how many ${unit}s after a partition starts its data can exist (1: the next ${unit})`);

/** A definition's `partitions`: the scheme, with its first partition and availability lag in its own unit. */
export const partitionsSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('hourly'), first: z.string(), lag: lag('hour', 24 * 31) }),
    z.object({ kind: z.literal('daily'), first: z.string(), lag: lag('day', 366) }),
    z.object({ kind: z.literal('weekly'), first: z.string(), lag: lag('week', 53) }),
    z.object({ kind: z.literal('monthly'), first: z.string(), lag: lag('month', 24) }),
    z.object({
      kind: z.literal('static'),
      /** The keys, in the order backfills and the dashboard use. */
      keys: z
        .array(z.string().regex(STATIC_KEY, 'lower-case letters, digits, _ and -, starting with a letter or digit'))
        .min(1)
        .refine((keys) => new Set(keys).size === keys.length, 'each key once')
        .refine((keys) => !keys.some((k) => RESERVED_KEYS.includes(k)), `none of ${'monitor, scheduled'} (they name a pipeline's other workflows)`),
    }),
  ], { error: "expected { kind: 'hourly' | 'daily' | 'weekly' | 'monthly', first, lag } or { kind: 'static', keys: [...] }" })
  .superRefine((spec, ctx) => {
    if (spec.kind === 'static') return;
    const codec = CODECS[spec.kind];
    if (codec.indexOf(spec.first) === undefined) {
      ctx.addIssue({ code: 'custom', path: ['first'], message: `'${spec.first}' is not ${describeForm(spec.kind)}` });
    }
  });

export type PartitionsSpec = z.infer<typeof partitionsSchema>;
export type PartitionsDeclaration = z.input<typeof partitionsSchema>;

function describeForm(kind: TimeKind): string {
  const c = CODECS[kind];
  return `an ${kind === 'hourly' ? 'hour' : c.unit} as ${c.form}, e.g. ${c.example}`.replace(/^an (day|week|month)/, 'a $1');
}

/** A partition key that does not fit the scheme, or lies outside it: one line naming it and what is allowed. */
export class PartitionKeyError extends Error {
  override name = 'PartitionKeyError';
}

/** The scheme of a spec: keys, ranges, availability and windows. */
export class PartitionScheme {
  readonly kind: PartitionKind;
  private readonly codec: TimeCodec | undefined;
  private readonly staticIndex: Map<string, number> | undefined;

  constructor(readonly spec: PartitionsSpec) {
    this.kind = spec.kind;
    this.codec = spec.kind === 'static' ? undefined : CODECS[spec.kind];
    this.staticIndex = spec.kind === 'static' ? new Map(spec.keys.map((k, i) => [k, i])) : undefined;
  }

  get isTime(): boolean {
    return this.codec !== undefined;
  }

  /** The unit of a time scheme ('hour', 'day', 'week', 'month'); 'key' for a static set. */
  get unit(): string {
    return this.codec?.unit ?? 'key';
  }

  /** What a key looks like, with an example: for error messages and help. */
  describeKey(): string {
    if (this.spec.kind === 'static') return `one of ${this.spec.keys.join(', ')}`;
    return describeForm(this.spec.kind);
  }

  isKey(key: string): boolean {
    return this.indexOf(key) !== undefined;
  }

  /** The first partition: a time scheme's `first`, a static set's first key. */
  get first(): string {
    return this.spec.kind === 'static' ? this.spec.keys[0]! : this.spec.first;
  }

  /** Position of `key` (windows since the epoch, or place in the static set); undefined when not a key. */
  indexOf(key: string): number | undefined {
    return this.codec ? this.codec.indexOf(key) : this.staticIndex!.get(key);
  }

  keyOf(index: number): string {
    if (this.codec) return this.codec.keyOf(index);
    return (this.spec as { keys: string[] }).keys[index]!;
  }

  /** The index of `key`, or a one-line error that names it and shows the expected form. */
  parse(key: string, what = 'partition'): number {
    const index = this.indexOf(key);
    if (index === undefined) throw new PartitionKeyError(`${what} '${key}' is not ${this.describeKey()}`);
    return index;
  }

  /** The key `n` partitions after `key` (before, when negative); undefined past either end of a static set. */
  next(key: string, n = 1): string | undefined {
    const index = this.parse(key) + n;
    if (this.spec.kind === 'static') return index >= 0 && index < this.spec.keys.length ? this.spec.keys[index] : undefined;
    return this.keyOf(index);
  }

  /** How many partitions `from`..`to` holds, both inclusive (0 when `from` is after `to`). */
  count(from: string, to: string): number {
    return Math.max(0, this.parse(to) - this.parse(from) + 1);
  }

  /** The keys `from`..`to`, both inclusive, oldest first. Callers keep ranges small or page them. */
  *range(from: string, to: string): Generator<string> {
    const end = this.parse(to);
    for (let i = this.parse(from); i <= end; i += 1) yield this.keyOf(i);
  }

  /** The newest partition whose data can exist at `epochMs` (a static set: its last key). */
  latestAt(epochMs: number): string {
    if (this.spec.kind === 'static') return this.spec.keys[this.spec.keys.length - 1]!;
    return this.codec!.keyOf(this.codec!.indexAt(epochMs) - this.spec.lag);
  }

  /** The partition whose window holds `epochMs` (time schemes). */
  keyAt(epochMs: number): string {
    return this.timeCodec().keyOf(this.timeCodec().indexAt(epochMs));
  }

  /** Start (inclusive) and end (exclusive) of a time partition's window, in epoch ms. */
  windowOf(key: string): { startMs: number; endMs: number } {
    const codec = this.timeCodec();
    const index = this.parse(key);
    return { startMs: codec.startMs(index), endMs: codec.startMs(index + 1) };
  }

  /** When a time partition's data can exist: its start plus the lag (the moment `latestAt` reaches it). */
  availableAtMs(key: string): number {
    const codec = this.timeCodec();
    return codec.startMs(this.parse(key) + (this.spec as { lag: number }).lag);
  }

  private timeCodec(): TimeCodec {
    if (!this.codec) throw new PartitionKeyError(`a static key set has no time windows`);
    return this.codec;
  }
}
