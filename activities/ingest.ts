/**
 * ingest: take the run's snapshot of the partition's input (the source module's: landed files, or the
 * upstream partitions it reads, with the runs that published them): copy it into the run's staging
 * folder, with each file's size and SHA-256. From here on the run reads only its snapshot, so what it
 * publishes matches the checksums in its manifest, whatever upstream re-drops meanwhile. First, the
 * janitor step: what earlier, crashed runs of this partition left in staging is removed.
 * Writes only inside this run's staging folder, under a name of this attempt: a retry never mixes
 * with what an earlier attempt wrote.
 */
import type { IngestResult, StepInput } from '../common/run-types';
import { sweepPartition } from '../lake/janitor';
import { sourceOf } from '../sources';
import { runClassified } from './classify-error';
import type { ActivityDeps } from './deps';
import { pipelineOfStep, stepContext } from './step-context';

export function makeIngest(deps: ActivityDeps) {
  return async function ingest(input: StepInput): Promise<IngestResult> {
    const ctx = stepContext('ingest', input);
    return runClassified(ctx, async () => {
      const pipeline = pipelineOfStep(deps.registry, input, ctx);
      const { source, module } = sourceOf(pipeline);
      const swept = await sweepPartition(deps.lake, input.pipeline, input.partition, ctx.runId);
      if (swept.length > 0) ctx.log.info({ removed: swept }, 'janitor: removed what earlier runs of this partition left behind');
      const stagingDir = deps.lake.runStagingDir(input.pipeline, input.partition, ctx.runId);
      const snapshot = await module.snapshot({
        deps, pipeline, source, partition: input.partition, force: input.force, stagingDir, ctx: { step: 'ingest', attempt: ctx.attempt, fileTag: ctx.fileTag },
      });
      // Transform may run on another worker: the snapshot goes where every worker reads it.
      for (const file of snapshot.files) {
        await deps.lake.area.share(file.path, file.copyOf);
        // A landed file is read once, by this step: its cached copy (S3) goes, so the cache does not grow.
        if (file.copyOf && file.copyOf.area !== deps.lake.area) await file.copyOf.area.forget(file.copyOf.file);
      }
      return {
        files: snapshot.files.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })),
        staged: { files: snapshot.files.map((f) => ({ path: deps.lake.relative(f.path), bytes: f.bytes })) },
        bytes: snapshot.files.reduce((sum, f) => sum + f.bytes, 0),
        ...(snapshot.upstream ? { upstream: snapshot.upstream } : {}),
        attempt: ctx.attempt,
        durationMs: ctx.elapsedMs(),
      };
    });
  };
}
