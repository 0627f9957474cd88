/**
 * `conveyor`: one command with a subcommand per operator task (`npx conveyor --help`). Each
 * subcommand is a module of `cli/commands/` that registers itself on the program. Start-up (the
 * configuration, the pipelines, a Temporal client on first use: cli/context.ts) and the exit policy
 * (platform/exit.ts: bad input exit 2, a failure exit 1, each one line; a stack trace only for a
 * bug) are here, once. Every `npm run <command>` is an alias of `conveyor <command>`. The heavy
 * modules (a worker, the dev server, the cluster) are required inside the commands that use them, so
 * `status` or `sql` do not load them; with `require`, since Conveyor is CommonJS run through tsx's
 * require hook, where a dynamic `import()` would not find a `.ts` file.
 */
import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { reportFailure } from '../platform/exit';
import { register as backfill } from './commands/backfill';
import { register as cluster } from './commands/cluster';
import { register as codecServer } from './commands/codec-server';
import { register as dashboard } from './commands/dashboard';
import { register as dbtImport } from './commands/dbt-import';
import { register as generate } from './commands/generate';
import { register as graph } from './commands/graph';
import { register as newPipeline } from './commands/new-pipeline';
import { register as notify } from './commands/notify';
import { register as override } from './commands/override';
import { register as partition } from './commands/partition';
import { register as runs } from './commands/runs';
import { register as schedules } from './commands/schedules';
import { register as server } from './commands/server';
import { register as sql } from './commands/sql';
import { register as start } from './commands/start';
import { register as status } from './commands/status';
import { register as pythonWorker } from './commands/python-worker';
import { register as worker } from './commands/worker';
import { Context } from './context';

/** The commands in the order `--help` lists them: trying it, running it, watching it, the data, defining pipelines, the stack. */
const COMMANDS = [start, partition, backfill, notify, override, schedules, status, runs, graph, dashboard, sql, generate, newPipeline, dbtImport, worker, pythonWorker, server, cluster, codecServer];

export function conveyorProgram(ctx: Context): Command {
  const program = new Command('conveyor')
    .description('Partitioned data pipelines on Temporal: one durable workflow per partition, calm backfills, evidence of every run.')
    .version(version)
    .exitOverride()
    // Commander's own errors (an unknown option, a missing argument) are one line too.
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', `
Every command takes --help. Configuration comes from the environment (.env.example lists it), e.g.
TEMPORAL_ADDRESS, CONVEYOR_DATA_DIR, CONVEYOR_LAKE_URL. In this checkout, npm run <command> -- <args> is the same.

Examples:
  $ npm start                                              # server, worker, sample data, run end to end
  $ npx conveyor partition orders 2024-03-01
  $ npx conveyor backfill --pipeline orders --from 2024-03-01 --to 2024-03-31
  $ npx conveyor sql "SELECT partition_key, count(*) FROM showroom.orders GROUP BY ALL"
`);
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** Run `conveyor <argv>`; the exit code. */
export async function runConveyor(argv: string[]): Promise<number> {
  // A reader that stops reading (`conveyor sql … | head`) is no error: stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  const ctx = new Context();
  const program = conveyorProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    // Commander has printed its own message (an unknown option, a missing argument) or the help.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return reportFailure(`conveyor ${commandOf(argv)}`.trimEnd(), err);
  } finally {
    await ctx.close();
  }
}

/** The command a line names (`backfill`, `schedules`): the prefix of its error lines. */
function commandOf(argv: string[]): string {
  return argv.filter((a) => !a.startsWith('-')).slice(0, 1).join(' ');
}

if (require.main === module) {
  runConveyor(process.argv.slice(2)).then((code) => process.exit(code));
}
