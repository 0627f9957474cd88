/**
 * Conveyor's activities. Created with their dependencies so the worker (and tests) decide which
 * lake, landing zone and pipelines they act on.
 */
import { makeAwaitLanding } from './await-landing';
import type { ActivityDeps } from './deps';
import { makeFindClosedRuns, makeLatestRunStatus } from './closed-runs';
import { makeIngest } from './ingest';
import { makeCheckPipeline, makeCommitAlerts, makeDeliverAlert } from './monitor';
import { makePlanBackfillChunk } from './plan-backfill';
import { makePublish } from './publish';
import { makeRecordRun } from './record-run';
import { makeResolvePartitionRun } from './resolve';
import { makeTransform } from './transform';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    resolvePartitionRun: makeResolvePartitionRun(deps),
    awaitLanding: makeAwaitLanding(deps),
    ingest: makeIngest(deps),
    transform: makeTransform(deps),
    publish: makePublish(deps),
    recordRun: makeRecordRun(deps),
    planBackfillChunk: makePlanBackfillChunk(deps),
    findClosedRuns: makeFindClosedRuns(),
    latestRunStatus: makeLatestRunStatus(),
    checkPipeline: makeCheckPipeline(deps),
    deliverAlert: makeDeliverAlert(deps),
    commitAlerts: makeCommitAlerts(deps),
  };
}

export type ConveyorActivities = ReturnType<typeof createActivities>;
