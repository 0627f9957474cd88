/**
 * Writes realistic daily `orders` drops into the landing zone, deterministic per date (seeded PRNG),
 * with faults injected on request. Files are written under a temporary name and renamed, and the
 * readiness marker is written last, as a well-behaved upstream system would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ORDER_CURRENCIES, ORDER_STATUSES, ordersPipeline } from './definition';
import { filesSourceOf, pad, partitionLandingDir, pick, prng, type SampleGenerator } from 'conveyor/pipeline';

export const FAULT_KINDS = ['malformed', 'duplicates', 'no-marker'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
}

export interface GenerateOptions {
  landingDir: string;
  partition: string;
  rows: number;
  files: number;
  /** Faults to inject. */
  faults?: (Fault | FaultKind)[];
}

export interface GeneratedPartition {
  dir: string;
  /** Rows written (including injected bad and duplicate rows). */
  rowsWritten: number;
  /** Distinct valid orders the partition should publish. */
  validOrders: number;
  malformedRows: number;
  duplicateRows: number;
}

// Malformed rows each break one rule, so the reject bin shows a variety of reasons.
const MALFORMATIONS: ((row: string[]) => string)[] = [
  (r) => [r[0], r[1], r[2], 'twelve', r[4], r[5]].join(','),
  (r) => [r[0], r[1], 'not-a-time', r[3], r[4], r[5]].join(','),
  (r) => ['', r[1], r[2], r[3], r[4], r[5]].join(','),
  (r) => [r[0], r[1], r[2], r[3], 'XYZ', r[5]].join(','),
  (r) => [r[0], r[1], r[2]].join(','), // too few columns: malformed CSV
];

export function generateOrdersPartition(options: GenerateOptions): GeneratedPartition {
  const faults = new Map(
    (options.faults ?? []).map((f) => (typeof f === 'string' ? { kind: f } : f)).map((f) => [f.kind, f] as const),
  );
  const dir = partitionLandingDir(options.landingDir, ordersPipeline, options.partition);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { force: true });

  const random = prng(Number(options.partition.replaceAll('-', '')));
  const dayStart = Date.parse(`${options.partition}T00:00:00Z`);
  const lines: string[] = [];
  let malformedRows = 0;
  let duplicateRows = 0;
  let validOrders = 0;
  for (let i = 0; i < options.rows; i += 1) {
    const orderedAt = new Date(dayStart + Math.floor((i / options.rows) * 86_399_000)).toISOString().replace('Z', '');
    const row = [
      `${options.partition.replaceAll('-', '')}-${pad(i, 7)}`,
      `C${pad(Math.floor(random() * 50_000), 6)}`,
      orderedAt,
      (5 + random() * 495).toFixed(2),
      pick(random, ORDER_CURRENCIES),
      pick(random, ORDER_STATUSES),
    ];
    if (faults.has('malformed') && random() < 0.05) {
      lines.push(pick(random, MALFORMATIONS)(row));
      malformedRows += 1;
      continue;
    }
    lines.push(row.join(','));
    validOrders += 1;
    if (faults.has('duplicates') && random() < 0.03) {
      lines.push(row.join(','));
      duplicateRows += 1;
    }
  }

  const header = filesSourceOf(ordersPipeline).columns.join(',');
  const perFile = Math.ceil(lines.length / options.files);
  for (let f = 0; f < options.files; f += 1) {
    const name = `part-${pad(f, 4)}.csv`;
    const body = [header, ...lines.slice(f * perFile, (f + 1) * perFile)].join('\n') + '\n';
    fs.writeFileSync(path.join(dir, `.${name}.tmp`), body);
    fs.renameSync(path.join(dir, `.${name}.tmp`), path.join(dir, name));
  }
  if (!faults.has('no-marker')) fs.writeFileSync(path.join(dir, filesSourceOf(ordersPipeline).marker), '');

  return { dir, rowsWritten: lines.length, validOrders, malformedRows, duplicateRows };
}

/** `npx conveyor generate orders ...` and `npm start` use this. */
export const generator: SampleGenerator = {
  faults: FAULT_KINDS,
  generate: ({ landingDir, partition, rows, files, faults }) =>
    generateOrdersPartition({ landingDir, partition, rows: rows ?? 1000, files: files ?? 2, faults: faults?.map((f) => ({ kind: f.kind as FaultKind })) }),
  // One day carries duplicate rows (dropped).
  demoFaults: (keys) => (keys.length > 1 ? { [keys[keys.length - 2]!]: [{ kind: 'duplicates' }] } : {}),
};
