/**
 * The lake's records of runs, read and written as files: run manifests (one JSON file per run, never
 * rewritten) and which partitions are published (a partition is published when its `data.parquet`
 * exists). What the planner, the CLIs and the client know of past runs comes from here.
 */
import path from 'node:path';
import { runRecordSchema, type RunRecord, type RunRecordInput } from '../common/run-record';
import { DATA_FILE, partitionKeyOfDir, type LakeLayout } from './layout';

/**
 * Write a run's record (its manifest), once (lake/area.ts writeOnce: a folder links in a flushed file;
 * S3 writes with `If-None-Match: *`), so a reader never sees half of it and a retry of the same run
 * keeps the first. The record is checked against its schema first (its fields written in the schema's
 * order): what is written, readers can read. Returns false when it was already recorded.
 */
export async function writeManifest(layout: LakeLayout, record: RunRecordInput): Promise<boolean> {
  const checked = runRecordSchema.parse(record);
  return layout.area.writeOnce(layout.manifestFile(checked.pipeline, checked.partition_key, checked.run_id), JSON.stringify(checked) + '\n');
}

/**
 * Every run record of one partition, oldest first. A file that is not valid JSON, or not a run record
 * (its schema, common/run-record.ts), is skipped and reported.
 */
export async function readManifests(
  layout: LakeLayout,
  pipeline: string,
  partition: string,
  onUnreadable: (file: string) => void = () => undefined,
): Promise<RunRecord[]> {
  const dir = layout.manifestDir(pipeline, partition);
  const names = await layout.area.readdir(dir);
  const records: RunRecord[] = [];
  for (const name of names.filter(isRecordName)) {
    const file = path.join(dir, name);
    let json: unknown;
    try {
      const text = await layout.area.readText(file);
      if (text === undefined) continue;
      json = JSON.parse(text);
    } catch (err) {
      if (err instanceof SyntaxError) {
        onUnreadable(file);
        continue;
      }
      throw err;
    }
    const record = runRecordSchema.safeParse(json);
    if (record.success) records.push(record.data);
    else onUnreadable(file);
  }
  return records.sort((a, b) => a.finished_at.localeCompare(b.finished_at));
}

/** A record's file name (`*.json`), not a writer's hidden temp file. */
export const isRecordName = (name: string) => name.endsWith('.json') && !name.startsWith('.');

/** The partitions of `pipeline` that have a published file, among those `wanted` says when given. */
export async function publishedPartitions(layout: LakeLayout, pipeline: string, wanted?: (key: string) => boolean): Promise<Set<string>> {
  const published = new Set<string>();
  const accept = (name: string) => {
    const key = partitionKeyOfDir(name);
    return key !== undefined && (!wanted || wanted(key));
  };
  for (const name of await layout.area.foldersHolding(layout.tableDir(pipeline), DATA_FILE, accept)) published.add(partitionKeyOfDir(name)!);
  return published;
}
