/**
 * `npm run runs -- <pipeline> [--partition D | --last N] [--json]`: the run records of a pipeline
 * (meta.partition_runs), newest first: partition, kind, status and failure class, rows in / published /
 * rejected, attempts, duration, run ID and its Web UI link. Reads the lake only.
 */
import { Command, CommanderError } from 'commander';
import { queryLake } from '../client/lake';
import { webUiWorkflowUrl } from '../common/web-ui';
import { loadConfig } from '../platform/config';
import { sqlString } from '../common/sql';
import { assertPartitionKey, deploymentRegistry } from '../definitions/registry';
import { InputError } from '../common/errors';
import { exitOnError } from './lib/cli-errors';
import { intInRange, parseOption } from '../common/options';

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run runs --')
    .description('Run records of a pipeline, newest first.')
    .argument('<pipeline>')
    .option('--partition <date>', "one partition's runs")
    .option('--last <n>', 'the newest N runs (default 20)')
    .option('--json', 'print the records as JSON')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const [name] = program.processedArgs as [string];
  const opts = program.opts<{ partition?: string; last?: string; json?: boolean }>();
  const registry = deploymentRegistry();
  const pipeline = registry.get(name);
  if (opts.partition !== undefined && opts.last !== undefined) throw new InputError('choose one of --partition and --last');
  if (opts.partition !== undefined) assertPartitionKey(pipeline, opts.partition, '--partition');
  const partition = opts.partition;
  const last = parseOption('--last', intInRange(1, 10_000), opts.last ?? '20');
  const config = loadConfig();
  const { rows } = await queryLake(
    config,
    `SELECT partition_key, run_kind, status, failure_class, failure_step, failure_reason, rows_in, rows_published, rows_rejected,
            rows_duplicate, attempts, durations_ms, started_at, finished_at, run_id, workflow_id, backfill_id
     FROM meta.partition_runs WHERE pipeline = ${sqlString(pipeline.name)}
     ${partition ? `AND partition_key = ${sqlString(partition)}` : ''}
     ORDER BY finished_at DESC ${partition ? '' : `LIMIT ${last}`}`,
    registry,
  );
  const records = rows.map((r): Record<string, unknown> => ({ ...(r as Record<string, unknown>), web_ui_url: webUiWorkflowUrl(config, String(r.workflow_id), String(r.run_id)) }));
  if (opts.json) return console.log(JSON.stringify(records, null, 2));
  if (records.length === 0) return console.log(`no runs of ${pipeline.name}${partition ? ` ${partition}` : ''} recorded in ${config.lakeUrl ?? config.lakeDir}`);
  const header = ['partition', 'kind', 'status', 'rows in', 'published', 'rejected', 'attempts', 'seconds', 'finished', 'run id'];
  const table = records.map((r) => {
    const attempts = Math.max(1, ...Object.values((r.attempts ?? {}) as Record<string, number>));
    const ms = Date.parse(String(r.finished_at)) - Date.parse(String(r.started_at));
    return [
      String(r.partition_key),
      String(r.run_kind),
      r.status === 'failed' ? `failed (${r.failure_class} at ${r.failure_step})` : String(r.status),
      String(r.rows_in ?? '-'),
      String(r.rows_published ?? '-'),
      String(r.rows_rejected ?? '-'),
      String(attempts),
      Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '-',
      String(r.finished_at).slice(0, 19),
      String(r.run_id),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(header));
  for (const row of table) console.log(line(row));
  const failed = records.find((r) => r.status === 'failed');
  if (failed) console.log(`\nnewest failure: ${failed.failure_reason}\n  ${failed.web_ui_url}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor runs')(err);
});
