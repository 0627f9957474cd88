/**
 * The landing zone ("loading dock"): where upstream systems drop a partition's raw files.
 * Layout: `<landingDir>/<pipeline>/<segment>=<key>/<files>`, plus the readiness marker written last
 * (sources/files.ts: `date=2024-03-01`, `hour=2024-03-01T05`, `week=2024-W10`, `month=2024-03`, `key=eu`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileArea, type FileArea } from '../lake/area';

/** The landing zone a process is configured for: `CONVEYOR_LANDING_URL` (S3, cached under landingDir) or the folder landingDir. */
export function landingOf(config: { landingDir: string; landingUrl?: string | undefined }, env: NodeJS.ProcessEnv = process.env): FileArea {
  return fileArea({ dir: config.landingDir, url: config.landingUrl, env });
}

/** A landed file, snapshotted into a run's staging folder. */
export interface SnapshotFile {
  name: string;
  /** Where the snapshot is. */
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Copy files into `toDir` (a copy-on-write clone where the filesystem has them), with the size and
 * SHA-256 of each copy, streamed (files may be large). The run then reads its own snapshot: a file
 * re-dropped upstream in the middle of a run cannot mix two versions in one partition.
 */
export async function snapshotFiles(paths: string[], toDir: string): Promise<SnapshotFile[]> {
  const files: SnapshotFile[] = [];
  await fs.promises.mkdir(toDir, { recursive: true });
  for (const from of paths) {
    const name = path.basename(from);
    const copy = path.join(toDir, name);
    files.push({ name, path: copy, ...(await copyWithSha256(from, copy)) });
  }
  return files;
}

/**
 * Copy a file (a copy-on-write clone where the filesystem has them) and hash the copy: its size and
 * SHA-256 are what the run read. Throws the copy's error (e.g. ENOENT) as is.
 */
export async function copyWithSha256(from: string, to: string): Promise<{ bytes: number; sha256: string }> {
  await fs.promises.copyFile(from, to, fs.constants.COPYFILE_FICLONE);
  return sha256OfFile(to);
}

/** Bytes read per slice when hashing a file. */
const HASH_SLICE_BYTES = 1 << 20;

/**
 * A file's size and SHA-256, read in slices into one buffer (files may be large). A read stream, which
 * allocates a buffer per chunk, cost ingest about a third more CPU (npm run bench).
 */
async function sha256OfFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const slice = Buffer.allocUnsafe(HASH_SLICE_BYTES);
    const hash = createHash('sha256');
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await handle.read(slice, 0, slice.length, bytes);
      if (bytesRead === 0) break;
      hash.update(slice.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    return { bytes, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}
