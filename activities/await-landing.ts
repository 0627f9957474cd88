/**
 * Readiness check: is the partition's input all there? The pipeline's source module says (landed files
 * and their marker; published upstream partitions). A forced check (an operator's override) skips the
 * marker, never the data files. Not ready is a `dependency` failure with no retry delay of its own:
 * the run's readiness retry policy polls at the run's interval (the definition's, a backfill's, a
 * test's) until the deadline, holding no worker slot in between.
 */
import { classifiedFailure } from '../common/failure-classes';
import type { ReadinessResult, StepInput } from '../common/run-types';
import { sourceOf } from '../sources';
import type { ActivityDeps } from './deps';
import { runClassified } from './classify-error';
import { pipelineOfStep, stepContext } from './step-context';

export function makeAwaitLanding(deps: ActivityDeps) {
  return async function awaitLanding(input: StepInput): Promise<ReadinessResult> {
    const ctx = stepContext('awaitLanding', input);
    return runClassified(ctx, async () => {
      const pipeline = pipelineOfStep(deps.registry, input, ctx);
      const { source, module } = sourceOf(pipeline);
      const ready = await module.readiness({ deps, pipeline, source, partition: input.partition, force: input.force });
      if (!ready.ready) {
        throw classifiedFailure(ready.failureClass, {
          step: ctx.step,
          message: `${input.pipeline}/${input.partition} not ready: ${ready.why}`,
          details: { attempt: ctx.attempt },
        });
      }
      return { files: ready.files, bytes: ready.bytes, attempt: ctx.attempt, durationMs: ctx.elapsedMs() };
    });
  };
}
