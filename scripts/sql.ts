/**
 * `npm run sql -- "<query>" [--json | --csv]`, or `npm run sql` for a prompt: DuckDB over the lake's
 * views (`showroom.<pipeline>`, `quality.rejects`, `meta.partition_runs`, `meta.published_partitions`,
 * `meta.ingested_files`). Reads files only, so it answers while any number of workers run.
 * A bad query is one line (DuckDB's own message, naming the table, column or file), exit code 1.
 */
import readline from 'node:readline';
import { Command, CommanderError } from 'commander';
import type { Json } from '@duckdb/node-api';
import { loadConfig } from '../platform/config';
import { withDuckDB } from '../lake/duckdb';
import { LakeLayout, lakeOf } from '../lake/layout';
import { lakeViews, refreshLakeViews } from '../lake/reader';
import { deploymentRegistry } from '../definitions/registry';
import { InputError } from '../common/errors';
import { exitOnError } from './lib/cli-errors';

type Format = 'table' | 'json' | 'csv';

class QueryError extends Error {
  override name = 'QueryError';
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('npm run sql --')
    .description('Query the lake with DuckDB SQL; without a query, an interactive prompt.')
    .argument('[query]', 'one SQL statement, e.g. "SELECT count(*) FROM showroom.orders"')
    .option('--json', 'print rows as a JSON array')
    .option('--csv', 'print rows as CSV with a header')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse(argv, { from: 'user' });
  const [query] = program.processedArgs as [string | undefined];
  const opts = program.opts<{ json?: boolean; csv?: boolean }>();
  if (opts.json && opts.csv) throw new InputError('choose one of --json and --csv');
  const format: Format = opts.json ? 'json' : opts.csv ? 'csv' : 'table';
  const lake = lakeOf(loadConfig());

  return withDuckDB(async (db) => {
    const run = async (sql: string) => {
      let answer;
      try {
        await refreshLakeViews(db, lake, deploymentRegistry());
        answer = await db.queryJson(sql);
      } catch (err) {
        throw new QueryError((err instanceof Error ? err.message : String(err)).split('\n')[0]!);
      }
      print(answer.columns, answer.rows, format);
    };
    if (query !== undefined) {
      await run(query);
      return 0;
    }
    return prompt(lake, run);
  });
}

/** The interactive prompt: statements end with `;`; `.tables`, `.help`, `.quit`. Errors do not end it. */
async function prompt(lake: LakeLayout, run: (sql: string) => Promise<void>): Promise<number> {
  const interactive = process.stdin.isTTY === true;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
  if (interactive) console.error(`Conveyor lake at ${lake.area.url}. End statements with ';'. .tables lists the tables, .quit leaves.`);
  let failed = false;
  let buffer = '';
  const ask = () => interactive && rl.setPrompt(buffer ? '   ...> ' : 'lake> ');
  ask();
  if (interactive) rl.prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (!buffer && trimmed.startsWith('.')) {
      if (trimmed === '.quit' || trimmed === '.exit') break;
      if (trimmed === '.tables') {
        for (const v of lakeViews(deploymentRegistry())) console.log(`${`${v.schema}.${v.name}`.padEnd(28)} ${v.description}`);
      } else console.log('.tables  list the tables\n.quit    leave');
    } else if (trimmed) {
      buffer += `${line}\n`;
      if (trimmed.endsWith(';')) {
        const sql = buffer;
        buffer = '';
        await run(sql).catch((err: unknown) => {
          failed = true;
          console.error(err instanceof Error ? err.message : String(err));
        });
      }
    }
    ask();
    if (interactive) rl.prompt();
  }
  if (buffer.trim()) await run(buffer).catch((err: unknown) => ((failed = true), console.error(err instanceof Error ? err.message : String(err))));
  rl.close();
  return failed ? 1 : 0;
}

function print(columns: string[], rows: Record<string, Json>[], format: Format): void {
  if (format === 'json') {
    console.log(JSON.stringify(rows));
    return;
  }
  const text = (v: Json) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (format === 'csv') {
    const cell = (v: Json) => {
      const s = text(v);
      return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    };
    console.log(columns.map((c) => cell(c)).join(','));
    for (const row of rows) console.log(columns.map((c) => cell(row[c] ?? null)).join(','));
    return;
  }
  const cells = rows.map((row) => columns.map((c) => (row[c] === null ? 'NULL' : text(row[c] ?? null))));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const line = (values: string[]) => values.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join('  ');
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) console.log(line(r));
  console.log(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    if (err instanceof QueryError) {
      console.error(`conveyor sql: ${err.message}`);
      process.exit(1);
    }
    exitOnError('conveyor sql')(err);
  },
);
