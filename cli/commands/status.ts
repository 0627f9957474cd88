/** `conveyor status`: per pipeline, freshness, the last run, recent partitions, backfills and open alerts. */
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { statusReport, statusText } from '../../client/status';
import { intInRange, parseOption } from '../../common/options';
import type { Context } from '../context';
import { examples } from '../output';

export function register(program: Command, ctx: Context): void {
  program
    .command('status')
    .summary("freshness, last runs, recent partitions, backfills, open alerts")
    .description("The state of each pipeline's data: freshness, the last run, recent partitions, running backfills, open alerts. Reads the lake; says what it cannot know when the server does not answer.")
    .option('--json', 'print the report as JSON')
    .option('--days <n>', 'recent partitions to show, in days', '7')
    .addHelpText('after', examples('npx conveyor status', 'npx conveyor status --json --days 14'))
    .action(async (opts: { json?: boolean; days: string }) => {
      const days = parseOption('--days', intInRange(1, 366), opts.days);
      const registry = ctx.registry;
      let client: Client | undefined;
      let serverUnavailable: string | undefined;
      try {
        client = await ctx.client();
      } catch (err) {
        serverUnavailable = (err as Error).message;
      }
      const report = await statusReport(ctx.config, registry, { client, serverUnavailable, days });
      console.log(opts.json ? JSON.stringify(report, null, 2) : statusText(report));
    });
}
