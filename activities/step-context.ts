/**
 * Per-attempt context for a step activity: the attempt number and a logger whose every line carries
 * `workflowId`, `runId`, `pipeline`, `partition`, `attempt` and `step`.
 */
import { Context } from '@temporalio/activity';
import { getLogger, type Logger } from '../common/logger';
import type { StepInput, StepName } from '../common/run-types';

export interface StepContext {
  step: StepName;
  attempt: number;
  workflowId: string;
  runId: string;
  log: Logger;
  startedAt: number;
  elapsedMs(): number;
}

export function stepContext(step: StepName, input: StepInput): StepContext {
  const info = Context.current().info;
  const startedAt = performance.now();
  const ids = {
    // Always set for activities scheduled by a workflow, which is the only way Conveyor runs them.
    workflowId: info.workflowExecution?.workflowId ?? 'none',
    runId: info.workflowExecution?.runId ?? 'none',
    pipeline: input.pipeline,
    partition: input.partition,
    attempt: info.attempt,
  };
  return {
    step,
    attempt: info.attempt,
    workflowId: ids.workflowId,
    runId: ids.runId,
    log: getLogger().child({ ...ids, step }),
    startedAt,
    elapsedMs: () => Math.round(performance.now() - startedAt),
  };
}
