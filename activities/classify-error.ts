/**
 * Turns any error thrown inside a step into a classified `ApplicationFailure` (common/classify.ts
 * decides the class), logged once with its attempt.
 */
import { ApplicationFailure } from '@temporalio/common';
import { classOfError } from '../common/classify';
import { classifiedFailure } from '../common/failure-classes';
import type { StepContext } from './step-context';

/** Run a step body; failures leave it classified, logged once, with the attempt number attached. */
export async function runClassified<T>(ctx: StepContext, body: () => Promise<T>): Promise<T> {
  const heartbeats = ctx.startHeartbeats();
  ctx.log.info(`${ctx.step} started`);
  try {
    const result = await body();
    ctx.log.info({ durationMs: ctx.elapsedMs(), result }, `${ctx.step} succeeded`);
    return result;
  } catch (err) {
    const failure = err instanceof ApplicationFailure ? withAttempt(err, ctx.attempt) : wrap(ctx, err);
    ctx.log.warn(
      { failureType: failure.type, nonRetryable: failure.nonRetryable, durationMs: ctx.elapsedMs(), err: failure.message },
      `${ctx.step} failed`,
    );
    throw failure;
  } finally {
    heartbeats.stop();
  }
}

/** A classified failure raised inside the step, its details completed with the attempt it failed at. */
function withAttempt(failure: ApplicationFailure, attempt: number): ApplicationFailure {
  const [details, ...rest] = failure.details ?? [];
  if (typeof details !== 'object' || details === null || 'attempt' in details) return failure;
  return ApplicationFailure.create({
    type: failure.type ?? undefined,
    message: failure.message,
    nonRetryable: failure.nonRetryable ?? undefined,
    details: [{ ...details, attempt }, ...rest],
    cause: failure.cause,
    nextRetryDelay: failure.nextRetryDelay ?? undefined,
  });
}

function wrap(ctx: StepContext, err: unknown): ApplicationFailure {
  const failureClass = classOfError(err);
  const message = firstLine(err instanceof Error ? err.message : String(err));
  return classifiedFailure(failureClass, {
    step: ctx.step,
    message,
    details: { attempt: ctx.attempt },
    cause: err instanceof Error ? err : undefined,
  });
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
