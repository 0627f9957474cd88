/**
 * Readiness check: is the partition's data fully landed (marker present, data files listed)? A forced
 * check (an operator's override) skips the marker, never the data files. Not ready is a `dependency`
 * failure with no retry delay of its own: the run's readiness retry policy polls at the run's interval
 * (the definition's, a backfill's, a test's) until the deadline, holding no worker slot in between.
 */
import { classifiedFailure } from '../common/failure-classes';
import type { ReadinessResult, StepInput } from '../common/run-types';
import { landingOf } from '../pipelines/definition';
import { hasReadinessMarker, listDataFiles, partitionLandingDir } from '../landing/landing-zone';
import fs from 'node:fs';
import path from 'node:path';
import type { ActivityDeps } from './deps';
import { runClassified } from './classify-error';
import { stepContext } from './step-context';

export function makeAwaitLanding(deps: ActivityDeps) {
  return async function awaitLanding(input: StepInput): Promise<ReadinessResult> {
    const ctx = stepContext('awaitLanding', input);
    return runClassified(ctx, async () => {
      const pipeline = deps.registry.get(input.pipeline);
      if (pipeline.derived) {
        // A downstream pipeline is ready when its upstream's same partition is published.
        const upstreamFile = deps.lake.publishedFile(pipeline.derived.from, input.partition);
        const size = await fs.promises.stat(upstreamFile).then((st) => st.size, () => undefined);
        if (size === undefined) {
          throw classifiedFailure('dependency', {
            step: ctx.step,
            message: `${input.pipeline}/${input.partition} not ready: ${pipeline.derived.from}/${input.partition} is not published yet (no ${deps.lake.relative(upstreamFile)})`,
            details: { attempt: ctx.attempt },
          });
        }
        return { files: 1, bytes: size, attempt: ctx.attempt, durationMs: ctx.elapsedMs() };
      }
      const dir = partitionLandingDir(deps.landingDir, input.pipeline, input.partition);
      if (!input.force && !hasReadinessMarker(dir, pipeline)) {
        throw classifiedFailure('dependency', {
          step: ctx.step,
          message: `${input.pipeline}/${input.partition} not ready: no ${pipeline.readiness.marker} marker in ${dir}`,
          details: { attempt: ctx.attempt },
        });
      }
      const files = listDataFiles(dir, pipeline);
      if (files.length === 0) {
        throw classifiedFailure('data', {
          step: ctx.step,
          message: `${input.pipeline}/${input.partition}: ${input.force ? 'forced past readiness' : `${pipeline.readiness.marker} is present`} but no data files match ${landingOf(pipeline).filePattern} in ${dir}`,
          details: { attempt: ctx.attempt },
        });
      }
      const bytes = files.reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
      return { files: files.length, bytes, attempt: ctx.attempt, durationMs: ctx.elapsedMs() };
    });
  };
}
