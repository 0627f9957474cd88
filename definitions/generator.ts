/**
 * The sample-data generator contract: a pipeline folder's `generate.ts` may export `generator`, and
 * `npx conveyor generate <pipeline> --from <key> --to <key>` (and `npm start`) use it. Plus the helpers
 * generators share. A generator writes one partition's landing files, the marker last.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface GeneratorFault {
  kind: string;
  /** For faults that take a number (`--fault KEY=KIND:N`). */
  count?: number;
}

export interface GenerateRequest {
  landingDir: string;
  partition: string;
  /** Rows for the partition (the generator's own default when omitted). */
  rows?: number;
  files?: number;
  faults?: GeneratorFault[];
}

export interface GeneratedSample {
  dir: string;
  rowsWritten: number;
}

export interface SampleGenerator {
  /** The faults it can inject, for `--fault KEY=KIND` and its one-line errors. */
  faults: readonly string[];
  generate(request: GenerateRequest): GeneratedSample | Promise<GeneratedSample>;
  /**
   * The faults `npm start` shows in its sample range (oldest first), by key: a bit of realism, each
   * there to show one thing. A key given `no-marker` has not finished landing: it is left waiting.
   */
  demoFaults?(keys: readonly string[]): Record<string, GeneratorFault[]>;
}

/** mulberry32: small, fast, good enough for sample data; seeded so each partition is reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from a partition key (any scheme). */
export function seedOf(key: string): number {
  let h = 2166136261;
  for (const c of key) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

export const pick = <T>(random: () => number, values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
export const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** An empty landing folder for a partition (what an earlier generation left is removed). */
export function clearLanded(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { force: true });
}

/** The readiness marker, written last. */
export function writeMarker(dir: string, marker: string): void {
  fs.writeFileSync(path.join(dir, marker), '');
}

/** Empty a partition's landing folder and write `files` (name → body) the way a good upstream does: temp name, rename; the marker last. */
export function writeLanded(dir: string, files: Record<string, string>, marker: string | undefined): void {
  clearLanded(dir);
  for (const [name, body] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, `.${name}.tmp`), body);
    fs.renameSync(path.join(dir, `.${name}.tmp`), path.join(dir, name));
  }
  if (marker) writeMarker(dir, marker);
}
