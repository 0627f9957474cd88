/** `conveyor partition <pipeline> <key>`: run one partition (or attach to its run), wait, print the outcome. */
import type { Command } from 'commander';
import { checkLandedData, preflightPartitionRun, startPartitionRun, waitForPartitionRun, type PartitionRunOutcome } from '../../client/partition-runs';
import { parsePartitionWorkflowId } from '../../common/workflow-ids';
import type { Context } from '../context';
import { examples } from '../output';

export function register(program: Command, ctx: Context): void {
  program
    .command('partition')
    .summary("run one partition and wait for the outcome")
    .description('Run one partition of a pipeline (or attach to its run) and wait for the outcome. Exit 0 succeeded, 1 failed, 2 bad input.')
    .argument('<pipeline>', 'pipeline name, e.g. orders')
    .argument('<partition>', "partition key in the pipeline's scheme, e.g. 2024-03-01 or 2024-03-01T05")
    .option('--wait-for-data', 'start even if its data has not landed yet (it waits for it like a scheduled run)')
    .option('--no-wait', 'start (or attach) and return without waiting for the outcome')
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', examples('npx conveyor partition orders 2024-03-01', 'npx conveyor partition clickstream 2024-03-01T05 --json'))
    .action(async (pipeline: string, partition: string, opts: { waitForData?: boolean; wait: boolean; json?: boolean }) => {
      const request = { pipeline, partition, runKind: 'manual' as const, requireLandedData: !opts.waitForData };
      preflightPartitionRun(request, ctx.deployment); // bad input fails here, before any connection
      await checkLandedData(request, ctx.deployment); // and data that has not landed
      const run = await startPartitionRun(await ctx.client(), request, ctx.deployment);
      console.error(`${run.attached ? 'attached to running' : 'started'} ${run.workflowId} (run ${run.runId})`);
      console.error(`Web UI: ${run.webUiUrl}`);
      if (!opts.wait) return;
      const outcome = await waitForPartitionRun(run);
      console.log(opts.json ? JSON.stringify(outcome, null, 2) : outcomeText(outcome));
      if (outcome.status !== 'succeeded') ctx.exitCode = 1;
    });
}

function outcomeText(outcome: PartitionRunOutcome): string {
  if (outcome.status === 'succeeded') {
    const { result } = outcome;
    const steps = Object.entries(result.durationsMs)
      .map(([step, ms]) => `${step} ${ms} ms (attempt ${result.attempts[step as keyof typeof result.attempts]})`)
      .join(', ');
    return [
      `✔ ${result.workflowId} succeeded`,
      `  rows in ${result.rows.in}, published ${result.rows.published}, rejected ${result.rows.rejected}, duplicates dropped ${result.rows.duplicate}`,
      `  files ${result.files}; ${steps}`,
    ].join('\n');
  }
  const { failure } = outcome;
  const lines = [`✘ ${outcome.workflowId} failed at ${failure.step} (${failure.failureClass} failure)`, `  ${failure.reason}`];
  for (const reason of failure.sampleReasons ?? []) lines.push(`    - ${reason}`);
  if (failure.failureClass === 'data') {
    const { pipeline, partition } = parsePartitionWorkflowId(outcome.workflowId)!;
    lines.push(`  rejected rows: npx conveyor sql "SELECT * FROM quality.rejects WHERE pipeline = '${pipeline}' AND partition_key = '${partition}'"`);
  }
  return lines.join('\n');
}
