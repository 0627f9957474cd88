/** `conveyor override force|skip|rerun <pipeline> <key> --reason …`: an operator's override, recorded with who, when and why. */
import type { Command } from 'commander';
import { checkOverride, forcePartition, rerunPartition, skipPartition, type OverrideRequest } from '../../client/overrides';
import type { Context } from '../context';
import { examples } from '../output';

type Kind = 'force' | 'skip' | 'rerun';

const ACTIONS: Record<Kind, { description: string; act: (ctx: Context, request: OverrideRequest) => Promise<string> }> = {
  force: {
    description: 'push the running run past its readiness wait (its data files are still required)',
    act: async (ctx, request) => {
      const r = await forcePartition(await ctx.client(), request, ctx.deployment);
      return `forced ${request.pipeline}/${request.partition} (run ${r.runId}) past its readiness wait`;
    },
  },
  skip: {
    description: 'waive the partition: backfills stop planning it (until a rerun), monitors stop counting it',
    act: async (ctx, request) => {
      await skipPartition(await ctx.client(), request, ctx.deployment);
      return `skipped ${request.pipeline}/${request.partition}: backfills will not plan it until it is rerun`;
    },
  },
  rerun: {
    description: 'run it again now',
    act: async (ctx, request) => {
      const r = await rerunPartition(await ctx.client(), request, ctx.deployment);
      return `rerunning ${r.workflowId} (run ${r.runId}); Web UI: ${r.webUiUrl}`;
    },
  },
};

export function register(program: Command, ctx: Context): void {
  const override = program
    .command('override')
    .summary("force, skip or rerun a partition, with a reason")
    .description("An operator's override of one partition, recorded with who, when and why (meta.overrides).")
    .addHelpText('after', examples('npx conveyor override rerun orders 2024-03-01 --reason "orders re-exported"', 'npx conveyor override skip orders 2024-02-29 --reason "shop closed"'));
  for (const [kind, { description, act }] of Object.entries(ACTIONS) as [Kind, (typeof ACTIONS)[Kind]][]) {
    override
      .command(kind)
      .description(description)
      .argument('<pipeline>')
      .argument('<partition>', "partition key in the pipeline's scheme")
      .requiredOption('--reason <text>', 'why (recorded with who and when)')
      .option('--by <name>', 'who (default: CONVEYOR_OPERATOR or the OS user)')
      .action(async (pipeline: string, partition: string, opts: { reason: string; by?: string }) => {
        const request = { pipeline, partition, reason: opts.reason, by: opts.by };
        checkOverride(kind, request, ctx.deployment); // bad input: refused before connecting
        console.error(await act(ctx, request));
      });
  }
}
