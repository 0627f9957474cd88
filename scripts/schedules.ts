/**
 * `npm run schedules -- apply | list [--json] | pause <pipeline> --reason <text> [--by <name>]
 *   | unpause <pipeline> [--reason <text>] [--by <name>] | trigger <pipeline>`
 *
 * One Temporal Schedule per pipeline, from its definition (client/schedules.ts). `apply` is
 * idempotent. Exit codes: 0 done, 1 server error, 2 bad input.
 */
import { Command, CommanderError } from 'commander';
import { connectClient } from '../client/connect';
import { applySchedules, listSchedules, pauseSchedule, triggerSchedule, unpauseSchedule } from '../client/schedules';
import { loadConfig } from '../platform/config';
import { webUiSchedulesUrl } from '../common/web-ui';
import { deploymentRegistry } from '../definitions/registry';
import { InputError } from '../common/errors';
import { exitOnError } from './lib/cli-errors';

async function main(argv: string[]): Promise<void> {
  const config = loadConfig();
  const registry = deploymentRegistry();
  const withClient = async <T>(fn: (client: Awaited<ReturnType<typeof connectClient>>) => Promise<T>): Promise<T> => {
    const client = await connectClient(config);
    try {
      return await fn(client);
    } finally {
      await client.connection.close();
    }
  };
  const program = new Command('npm run schedules --').description("Conveyor's Temporal Schedules, one per pipeline.").exitOverride();
  program
    .command('apply')
    .description('create, update or delete schedules so they match the pipeline definitions (twice changes nothing)')
    .action(async () => {
      const r = await withClient((client) => applySchedules(client, { config, registry }));
      for (const [what, ids] of Object.entries(r)) for (const id of ids as string[]) console.log(`${what.padEnd(9)} ${id}`);
      console.error(`schedules: ${r.created.length} created, ${r.updated.length} updated, ${r.unchanged.length} unchanged, ${r.deleted.length} deleted`);
      console.error(`Web UI: ${webUiSchedulesUrl(config)}`);
    });
  program
    .command('list')
    .description('each schedule: its time, paused or not, its note, next and recent runs')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withClient((client) => listSchedules(client));
      if (opts.json) return console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0) console.log('no schedules: run `npm run schedules -- apply`');
      for (const r of rows) {
        console.log(`${r.scheduleId}  ${r.spec}  ${r.paused ? 'PAUSED' : 'active'}`);
        console.log(`  note: ${r.note}`);
        console.log(`  next: ${r.nextRuns.join(', ') || '-'}`);
        for (const run of r.recentRuns) console.log(`  ran:  ${run.scheduledAt}  ${run.workflowId}`);
      }
    });
  program
    .command('pause')
    .argument('<pipeline>')
    .requiredOption('--reason <text>', 'why (shown as the schedule\'s note, with who and when)')
    .option('--by <name>', 'who is pausing (default: CONVEYOR_OPERATOR or the OS user)')
    .action(async (pipeline: string, opts: { reason: string; by?: string }) => {
      registry.get(pipeline); // bad input: refused before connecting
      if (!opts.reason.trim()) throw new InputError('--reason is required: say why the schedule is paused');
      const note = await withClient((client) => pauseSchedule(client, pipeline, opts, registry));
      console.error(`paused the ${pipeline} schedule. ${note}`);
    });
  program
    .command('unpause')
    .argument('<pipeline>')
    .option('--reason <text>', 'why')
    .option('--by <name>', 'who is unpausing (default: CONVEYOR_OPERATOR or the OS user)')
    .action(async (pipeline: string, opts: { reason?: string; by?: string }) => {
      registry.get(pipeline);
      await withClient((client) => unpauseSchedule(client, pipeline, opts, registry));
      console.error(`unpaused the ${pipeline} schedule; runs missed while paused are not made up (backfill them)`);
    });
  program
    .command('trigger')
    .argument('<pipeline>')
    .description('run the scheduled action now (the latest available partition)')
    .action(async (pipeline: string) => {
      registry.get(pipeline);
      await withClient((client) => triggerSchedule(client, pipeline, registry));
      console.error(`triggered the ${pipeline} schedule; the run shows in \`npm run schedules -- list\``);
    });
  await program.parseAsync(argv, { from: 'user' });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor schedules')(err);
});
