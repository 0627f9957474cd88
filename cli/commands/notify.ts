/** `conveyor notify <pipeline> <key>`: a partition's data has landed; a waiting run goes on at once. */
import type { Command } from 'commander';
import { notifyLanded } from '../../client/overrides';
import { preflightPartitionRun } from '../../client/partition-runs';
import type { Context } from '../context';
import { examples } from '../output';

export function register(program: Command, ctx: Context): void {
  program
    .command('notify')
    .summary("a partition's data has landed: wake its run")
    .description("Tell Conveyor a partition's data has landed: a run waiting for it goes on at once; with no run going, one starts.")
    .argument('<pipeline>')
    .argument('<partition>', "partition key in the pipeline's scheme")
    .option('--by <name>', 'who or what is notifying (default: CONVEYOR_OPERATOR or the OS user)')
    .addHelpText('after', examples('npx conveyor notify orders 2024-03-01 --by order-export'))
    .action(async (pipeline: string, partition: string, opts: { by?: string }) => {
      preflightPartitionRun({ pipeline, partition }, ctx.deployment); // bad input: refused before connecting
      const r = await notifyLanded(await ctx.client(), { pipeline, partition, by: opts.by }, ctx.deployment);
      console.error(`${r.started ? 'started' : 'woke'} ${r.workflowId} (run ${r.runId}); Web UI: ${r.webUiUrl}`);
    });
}
