/** `conveyor schedules apply|list|pause|unpause|trigger`: one Temporal Schedule per pipeline, from its definition. */
import type { Command } from 'commander';
import { applySchedules, listSchedules, pauseSchedule, triggerSchedule, unpauseSchedule, type ScheduleRow } from '../../client/schedules';
import { InputError } from '../../common/errors';
import { webUiSchedulesUrl } from '../../common/web-ui';
import type { Context } from '../context';
import { examples } from '../output';

export function register(program: Command, ctx: Context): void {
  const schedules = program
    .command('schedules')
    .summary("apply, list, pause, unpause, trigger the pipelines' schedules")
    .description("Conveyor's Temporal Schedules, one per pipeline (and one per pipeline's monitor), from the definitions.")
    .addHelpText('after', examples('npx conveyor schedules apply', 'npx conveyor schedules pause orders --reason "upstream migration"', 'npx conveyor schedules list --json'));
  schedules
    .command('apply')
    .description('create, update or delete schedules so they match the definitions (twice changes nothing)')
    .action(async () => {
      const r = await applySchedules(await ctx.client(), ctx.deployment);
      for (const [what, ids] of Object.entries(r)) for (const id of ids as string[]) console.log(`${what.padEnd(9)} ${id}`);
      console.error(`schedules: ${r.created.length} created, ${r.updated.length} updated, ${r.unchanged.length} unchanged, ${r.deleted.length} deleted`);
      console.error(`Web UI: ${webUiSchedulesUrl(ctx.config)}`);
    });
  schedules
    .command('list')
    .description('each schedule: its time, paused or not, its note, next and recent runs')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await listSchedules(await ctx.client());
      console.log(opts.json ? JSON.stringify(rows, null, 2) : rows.length === 0 ? 'no schedules: run `npx conveyor schedules apply`' : rows.map(scheduleText).join('\n'));
    });
  schedules
    .command('pause')
    .description("pause a pipeline's schedule; who and why become its note")
    .argument('<pipeline>')
    .requiredOption('--reason <text>', "why (shown as the schedule's note, with who and when)")
    .option('--by <name>', 'who is pausing (default: CONVEYOR_OPERATOR or the OS user)')
    .action(async (pipeline: string, opts: { reason: string; by?: string }) => {
      ctx.registry.get(pipeline); // bad input: refused before connecting
      if (!opts.reason.trim()) throw new InputError('--reason is required: say why the schedule is paused');
      const note = await pauseSchedule(await ctx.client(), pipeline, opts, ctx.registry);
      console.error(`paused the ${pipeline} schedule. ${note}`);
    });
  schedules
    .command('unpause')
    .description("unpause a pipeline's schedule")
    .argument('<pipeline>')
    .option('--reason <text>', 'why')
    .option('--by <name>', 'who is unpausing (default: CONVEYOR_OPERATOR or the OS user)')
    .action(async (pipeline: string, opts: { reason?: string; by?: string }) => {
      ctx.registry.get(pipeline);
      await unpauseSchedule(await ctx.client(), pipeline, opts, ctx.registry);
      console.error(`unpaused the ${pipeline} schedule; runs missed while paused are not made up (backfill them)`);
    });
  schedules
    .command('trigger')
    .description('run the scheduled action now (the latest available partition)')
    .argument('<pipeline>')
    .action(async (pipeline: string) => {
      ctx.registry.get(pipeline);
      await triggerSchedule(await ctx.client(), pipeline, ctx.registry);
      console.error(`triggered the ${pipeline} schedule; the run shows in \`npx conveyor schedules list\``);
    });
}

function scheduleText(r: ScheduleRow): string {
  return [
    `${r.scheduleId}  ${r.spec}  ${r.paused ? 'PAUSED' : 'active'}`,
    `  note: ${r.note}`,
    `  next: ${r.nextRuns.join(', ') || '-'}`,
    ...r.recentRuns.map((run) => `  ran:  ${run.scheduledAt}  ${run.workflowId}`),
  ].join('\n');
}
