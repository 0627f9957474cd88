/** Controls and query of a running backfill. Pure definitions, shared by the workflow and clients. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BackfillProgress } from './backfill-input';

/** Stop starting new partitions; running ones finish. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Stop starting new partitions; with `cancelRunning`, also cancel the running ones. */
export const cancelSignal = defineSignal<[{ cancelRunning: boolean }]>('cancel');
/** Change the concurrency bound, up or down; takes effect at once. Returns the new bound. */
export const setConcurrencyUpdate = defineUpdate<number, [number]>('setConcurrency');
export const progressQuery = defineQuery<BackfillProgress>('progress');
