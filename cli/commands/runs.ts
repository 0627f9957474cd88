/** `conveyor runs <pipeline>`: a pipeline's run records, newest first (meta.partition_runs). Reads the lake only. */
import type { Command } from 'commander';
import { runRecords, type RunListing } from '../../client/lake';
import { InputError } from '../../common/errors';
import { intInRange, parseOption } from '../../common/options';
import type { Context } from '../context';
import { examples, table } from '../output';

export function register(program: Command, ctx: Context): void {
  program
    .command('runs')
    .summary("a pipeline's run records, newest first")
    .description("A pipeline's run records, newest first: kind, status and failure class, rows, attempts, duration, run ID.")
    .argument('<pipeline>')
    .option('--partition <key>', "one partition's runs")
    .option('--last <n>', 'the newest N runs (default 20)')
    .option('--json', 'print the records as JSON')
    .addHelpText('after', examples('npx conveyor runs orders --last 5', 'npx conveyor runs orders --partition 2024-03-01 --json'))
    .action(async (pipeline: string, opts: { partition?: string; last?: string; json?: boolean }) => {
      if (opts.partition !== undefined && opts.last !== undefined) throw new InputError('choose one of --partition and --last');
      const which = opts.partition !== undefined ? { partition: opts.partition } : { last: parseOption('--last', intInRange(1, 10_000), opts.last ?? '20') };
      const records = await runRecords(ctx.config, ctx.registry, pipeline, which);
      if (opts.json) return console.log(JSON.stringify(records, null, 2));
      if (records.length === 0) return console.log(`no runs of ${pipeline}${opts.partition ? ` ${opts.partition}` : ''} recorded in ${ctx.config.lakeUrl ?? ctx.config.lakeDir}`);
      console.log(runsTable(records));
      const failed = records.find((r) => r.status === 'failed');
      if (failed) console.log(`\nnewest failure: ${failed.failure_reason}\n  ${failed.web_ui_url}`);
    });
}

/** `-` (none declared), `2 passed`, or the broken ones: `four_currencies (warn, 1 row)`. */
function checksText(checks: RunListing[string] | undefined): string {
  const list = (Array.isArray(checks) ? checks : []) as { name: string; severity: string; failed_rows: number }[];
  const broken = list.filter((c) => Number(c.failed_rows) > 0);
  if (list.length === 0) return '-';
  if (broken.length === 0) return `${list.length} passed`;
  return broken.map((c) => `${c.name} (${c.severity}, ${c.failed_rows} row${Number(c.failed_rows) === 1 ? '' : 's'})`).join(', ');
}

function runsTable(records: RunListing[]): string {
  const header = ['partition', 'kind', 'status', 'rows in', 'published', 'rejected', 'checks', 'attempts', 'seconds', 'finished', 'run id'];
  const rows = records.map((r) => {
    const attempts = Math.max(1, ...Object.values((r.attempts ?? {}) as Record<string, number>));
    const ms = Date.parse(String(r.finished_at)) - Date.parse(String(r.started_at));
    return [
      String(r.partition_key),
      String(r.run_kind),
      r.status === 'failed' ? `failed (${r.failure_class} at ${r.failure_step})` : String(r.status),
      String(r.rows_in ?? '-'),
      String(r.rows_published ?? '-'),
      String(r.rows_rejected ?? '-'),
      checksText(r.checks),
      String(attempts),
      Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '-',
      String(r.finished_at).slice(0, 19),
      String(r.run_id),
    ];
  });
  return table(header, rows);
}
