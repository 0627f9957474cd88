/**
 * The four failure classes every Conveyor task failure falls into, and how each is retried.
 *
 * - `transient`: infrastructure hiccup (I/O error, lock, timeout). Retry with capped exponential backoff.
 * - `dependency`: upstream data is not there yet. Wait (a longer, fixed interval), then retry.
 * - `data`: the data itself is bad. Never retried: retrying cannot fix it and would hide it.
 * - `code`: a bug (bad SQL, a thrown TypeError). Never retried: five identical failures teach nothing.
 *
 * Pure: imported by workflow code (to build retry policies) and by activities (to raise failures).
 */
import { ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import type { PartitionFailure } from './run-types';

export const FAILURE_CLASSES = ['transient', 'dependency', 'data', 'code'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** `ApplicationFailure.type` for each class; these names are what retry policies match on. */
export const FAILURE_TYPE: Record<FailureClass, string> = {
  transient: 'TransientFailure',
  dependency: 'DependencyFailure',
  data: 'DataFailure',
  code: 'CodeFailure',
};

export const NON_RETRYABLE_FAILURE_TYPES = [FAILURE_TYPE.data, FAILURE_TYPE.code];

export function failureClassOfType(type: string | null | undefined): FailureClass | undefined {
  return FAILURE_CLASSES.find((cls) => FAILURE_TYPE[cls] === type);
}

/**
 * Structured details attached to every classified failure, so the workflow and operators can act on
 * it: the partition's failure record less its reason, which is the failure's message.
 */
export type FailureDetails = Omit<PartitionFailure, 'reason'>;

export interface ClassifiedFailureOptions {
  step: PartitionFailure['step'];
  message: string;
  details?: Omit<FailureDetails, 'failureClass' | 'step'>;
  /** For `dependency` failures: how long to wait before looking again. */
  retryAfterSeconds?: number;
  cause?: Error;
}

/** Build the `ApplicationFailure` for a class. Data and code failures are marked non-retryable twice over. */
export function classifiedFailure(failureClass: FailureClass, options: ClassifiedFailureOptions): ApplicationFailure {
  const details: FailureDetails = { failureClass, step: options.step, ...options.details };
  return ApplicationFailure.create({
    type: FAILURE_TYPE[failureClass],
    message: options.message,
    nonRetryable: failureClass === 'data' || failureClass === 'code',
    details: [details],
    cause: options.cause,
    nextRetryDelay:
      failureClass === 'dependency' && options.retryAfterSeconds !== undefined
        ? `${options.retryAfterSeconds} seconds`
        : undefined,
  });
}

/** Retry policy for work steps: transient failures back off exponentially (capped); data and code never retry. */
export function workStepRetryPolicy(maximumAttempts: number): RetryPolicy {
  return {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  };
}

/** Retry policy for readiness checks: a fixed, longer poll interval until the step's schedule-to-close deadline. */
export function readinessRetryPolicy(pollIntervalSeconds: number): RetryPolicy {
  return {
    initialInterval: `${pollIntervalSeconds} seconds`,
    backoffCoefficient: 1,
    // No maximumAttempts: bounded by scheduleToCloseTimeout (the readiness deadline), not by a count.
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  };
}
