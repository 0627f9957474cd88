/**
 * The landing zone ("loading dock"): where upstream systems drop a partition's raw files.
 * Layout: `<landingDir>/<pipeline>/date=<YYYY-MM-DD>/part-*.csv`, plus the readiness marker written last.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PipelineDefinition } from '../pipelines/definition';

/**
 * Fault-injection hook for tests and demos: a file with this name holding a number N makes reads of
 * the partition fail with a transient I/O error on the first N attempts. Written only by the generator.
 */
export const FLAKY_READ_FAULT_FILE = '_FAULT_FLAKY_READS';

export interface LandedFile {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

export function partitionLandingDir(landingDir: string, pipeline: string, partition: string): string {
  return path.join(landingDir, pipeline, `date=${partition}`);
}

/** Names of the partition's data files, sorted; empty when the folder is missing. */
export function listDataFiles(dir: string, pipeline: PipelineDefinition): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => pipeline.landing.filePattern.test(name))
    .sort();
}

export function hasReadinessMarker(dir: string, pipeline: PipelineDefinition): boolean {
  return fs.existsSync(path.join(dir, pipeline.readiness.marker));
}

/** Data files with size and SHA-256, streamed (files may be large). */
export async function describeDataFiles(dir: string, pipeline: PipelineDefinition): Promise<LandedFile[]> {
  const files: LandedFile[] = [];
  for (const name of listDataFiles(dir, pipeline)) {
    const filePath = path.join(dir, name);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of fs.createReadStream(filePath)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    files.push({ name, path: filePath, bytes, sha256: hash.digest('hex') });
  }
  return files;
}

/** How many leading read attempts should fail for this partition (0 when no fault is injected). */
export function injectedReadFailures(dir: string): number {
  const faultPath = path.join(dir, FLAKY_READ_FAULT_FILE);
  if (!fs.existsSync(faultPath)) return 0;
  const count = Number.parseInt(fs.readFileSync(faultPath, 'utf8').trim(), 10);
  return Number.isFinite(count) && count > 0 ? count : 0;
}
