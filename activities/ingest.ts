/**
 * ingest: take the run's snapshot of the partition's landed files: copy them into the run's staging
 * folder, with each file's size and SHA-256. From here on the run reads only its snapshot, so what it
 * publishes matches the checksums in its manifest, whatever upstream re-drops meanwhile. First, the
 * janitor step: what earlier, crashed runs of this partition left in staging is removed.
 * Writes only inside this run's staging folder, under a name of this attempt: a retry never mixes
 * with what an earlier attempt wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { classifiedFailure } from '../common/failure-classes';
import type { IngestResult, StepInput } from '../common/run-types';
import { copyWithSha256, hasReadinessMarker, injectedReadFailures, partitionLandingDir, snapshotDataFiles } from '../landing/landing-zone';
import { readVersion } from '../lake/commit';
import { withDuckDB } from '../lake/duckdb';
import { sweepPartition } from '../lake/janitor';
import { landingOf } from '../pipelines/definition';
import { runClassified } from './classify-error';
import type { ActivityDeps } from './deps';
import { stepContext, type StepContext } from './step-context';

export function makeIngest(deps: ActivityDeps) {
  return async function ingest(input: StepInput): Promise<IngestResult> {
    const ctx = stepContext('ingest', input);
    return runClassified(ctx, async () => {
      const pipeline = deps.registry.get(input.pipeline);
      if (pipeline.derived) return ingestUpstream(deps, ctx, input, pipeline.derived.from);
      const dir = partitionLandingDir(deps.landingDir, input.pipeline, input.partition);
      const failingReads = injectedReadFailures(dir);
      if (ctx.attempt <= failingReads) {
        throw classifiedFailure('transient', {
          step: ctx.step,
          message: `I/O error reading ${dir}: injected flaky read (attempt ${ctx.attempt}, first ${failingReads} fail)`,
          details: { attempt: ctx.attempt },
        });
      }
      if (!input.force && !hasReadinessMarker(dir, pipeline)) {
        throw classifiedFailure('dependency', {
          step: ctx.step,
          message: `${input.pipeline}/${input.partition}: ${pipeline.readiness.marker} marker disappeared from ${dir}`,
          retryAfterSeconds: pipeline.readiness.pollIntervalSeconds,
          details: { attempt: ctx.attempt },
        });
      }
      const swept = await sweepPartition(deps.lake, input.pipeline, input.partition, ctx.runId);
      if (swept.length > 0) ctx.log.info({ removed: swept }, 'janitor: removed what earlier runs of this partition left behind');

      const stagingDir = deps.lake.runStagingDir(input.pipeline, input.partition, ctx.runId);
      const snapshot = await snapshotDataFiles(dir, pipeline, path.join(stagingDir, `landed.attempt-${ctx.attempt}`));
      if (snapshot.length === 0) {
        throw classifiedFailure('data', {
          step: ctx.step,
          message: `${input.pipeline}/${input.partition}: no data files match ${landingOf(pipeline).filePattern} in ${dir}`,
          details: { attempt: ctx.attempt },
        });
      }
      return {
        files: snapshot.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })),
        staged: { files: snapshot.map((f) => ({ path: deps.lake.relative(f.path), bytes: f.bytes })) },
        bytes: snapshot.reduce((sum, f) => sum + f.bytes, 0),
        attempt: ctx.attempt,
        durationMs: ctx.elapsedMs(),
      };
    });
  };
}

/**
 * A downstream pipeline's snapshot: a copy of the upstream's published partition file, with its size,
 * SHA-256 and the upstream run that published it (stamped in the file), recorded in the manifest.
 */
async function ingestUpstream(deps: ActivityDeps, ctx: StepContext, input: StepInput, from: string): Promise<IngestResult> {
  const swept = await sweepPartition(deps.lake, input.pipeline, input.partition, ctx.runId);
  if (swept.length > 0) ctx.log.info({ removed: swept }, 'janitor: removed what earlier runs of this partition left behind');
  const source = deps.lake.publishedFile(from, input.partition);
  const stagingDir = deps.lake.runStagingDir(input.pipeline, input.partition, ctx.runId);
  const copy = path.join(stagingDir, `upstream.attempt-${ctx.attempt}`, `${from}.parquet`);
  await fs.promises.mkdir(path.dirname(copy), { recursive: true });
  let copied: { bytes: number; sha256: string };
  try {
    copied = await copyWithSha256(source, copy);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw classifiedFailure('dependency', {
      step: ctx.step,
      message: `${input.pipeline}/${input.partition}: ${from}/${input.partition} is no longer published (${deps.lake.relative(source)})`,
      details: { attempt: ctx.attempt },
    });
  }
  const { bytes } = copied;
  const version = await withDuckDB((db) => readVersion(db, copy));
  if (typeof version !== 'object') {
    throw classifiedFailure('data', {
      step: ctx.step,
      message: `${input.pipeline}/${input.partition}: ${deps.lake.relative(source)} ${version === 'unreadable' ? 'is not valid Parquet' : 'carries no run stamp'}; rerun ${from}/${input.partition}`,
      details: { attempt: ctx.attempt },
    });
  }
  return {
    // Named as transform counts it; the upstream reference says which file and run it came from.
    files: [{ name: path.basename(copy), bytes, sha256: copied.sha256 }],
    staged: { files: [{ path: deps.lake.relative(copy), bytes }] },
    bytes,
    upstream: [{ pipeline: from, partition: input.partition, runId: version.runId }],
    attempt: ctx.attempt,
    durationMs: ctx.elapsedMs(),
  };
}
