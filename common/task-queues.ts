/**
 * The task queues partition runs are served on unless the deployment says otherwise
 * (CONVEYOR_TASK_QUEUE, CONVEYOR_BACKFILL_TASK_QUEUE): daily runs, and backfills on a pool of their own.
 */
export const DEFAULT_TASK_QUEUE = 'conveyor-daily';
export const DEFAULT_BACKFILL_TASK_QUEUE = 'conveyor-backfill';
/** Conveyor's Python worker serves `python` transforms here (CONVEYOR_PYTHON_TASK_QUEUE). */
export const DEFAULT_PYTHON_TASK_QUEUE = 'conveyor-python';
