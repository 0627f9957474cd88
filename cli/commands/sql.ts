/**
 * `conveyor sql ["<query>"] [--json | --csv]`, or a prompt without a query: DuckDB over the lake's
 * views. Reads files only, so it answers while any number of workers run. A bad query is one line
 * (DuckDB's own message), exit 1.
 */
import readline from 'node:readline';
import type { Command } from 'commander';
import type { Json } from '@duckdb/node-api';
import { Failed, InputError } from '../../common/errors';
import { withDuckDB } from '../../lake/duckdb';
import { lakeOf } from '../../lake/layout';
import { lakeViews, refreshLakeViews } from '../../lake/reader';
import type { Context } from '../context';
import { examples } from '../output';

type Format = 'table' | 'json' | 'csv';

/** A query DuckDB refused: its message, one line, exit 1 (the user's SQL, not Conveyor's bug). */
class QueryError extends Failed {
  override name = 'QueryError';
}

export function register(program: Command, ctx: Context): void {
  program
    .command('sql')
    .summary("query the lake with DuckDB SQL")
    .description('Query the lake with DuckDB SQL (showroom.<pipeline>, quality.rejects, meta.*); without a query, an interactive prompt.')
    .argument('[query]', 'one SQL statement')
    .option('--json', 'print rows as a JSON array')
    .option('--csv', 'print rows as CSV with a header')
    .addHelpText('after', examples('npx conveyor sql "SELECT partition_key, count(*) FROM showroom.orders GROUP BY ALL ORDER BY 1"', 'npx conveyor sql "SELECT * FROM meta.partition_runs" --csv > runs.csv', 'npx conveyor sql'))
    .action(async (query: string | undefined, opts: { json?: boolean; csv?: boolean }) => {
      if (opts.json && opts.csv) throw new InputError('choose one of --json and --csv');
      const format: Format = opts.json ? 'json' : opts.csv ? 'csv' : 'table';
      const lake = lakeOf(ctx.config);
      await withDuckDB(async (db) => {
        const run = async (sql: string) => {
          try {
            await refreshLakeViews(db, lake, ctx.registry);
            const answer = await db.queryJson(sql);
            console.log(rendered(answer.columns, answer.rows, format));
          } catch (err) {
            throw new QueryError((err instanceof Error ? err.message : String(err)).split('\n')[0]!);
          }
        };
        if (query !== undefined) return run(query);
        if (process.stdin.isTTY) console.error(`Conveyor lake at ${lake.area.url}. End statements with ';'. .tables lists the tables, .quit leaves.`);
        if (!(await prompt(run, () => lakeViews(ctx.registry)))) ctx.exitCode = 1;
      });
    });
}

/** The interactive prompt: statements end with `;`; `.tables`, `.help`, `.quit`. Errors do not end it. False when one failed. */
async function prompt(run: (sql: string) => Promise<void>, views: () => { schema: string; name: string; description: string }[]): Promise<boolean> {
  const interactive = process.stdin.isTTY === true;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
  let ok = true;
  let buffer = '';
  const attempt = (sql: string) => run(sql).catch((err: unknown) => ((ok = false), console.error(err instanceof Error ? err.message : String(err))));
  const ask = () => interactive && (rl.setPrompt(buffer ? '   ...> ' : 'lake> '), rl.prompt());
  ask();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (!buffer && trimmed.startsWith('.')) {
      if (trimmed === '.quit' || trimmed === '.exit') break;
      if (trimmed === '.tables') for (const v of views()) console.log(`${`${v.schema}.${v.name}`.padEnd(28)} ${v.description}`);
      else console.log('.tables  list the tables\n.quit    leave');
    } else if (trimmed) {
      buffer += `${line}\n`;
      if (trimmed.endsWith(';')) {
        const sql = buffer;
        buffer = '';
        await attempt(sql);
      }
    }
    ask();
  }
  if (buffer.trim()) await attempt(buffer);
  rl.close();
  return ok;
}

function rendered(columns: string[], rows: Record<string, Json>[], format: Format): string {
  const text = (v: Json) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (format === 'json') return JSON.stringify(rows);
  if (format === 'csv') {
    const cell = (v: Json) => {
      const s = text(v);
      return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    };
    return [columns.map((c) => cell(c)), ...rows.map((row) => columns.map((c) => cell(row[c] ?? null)))].map((r) => r.join(',')).join('\n');
  }
  const cells = rows.map((row) => columns.map((c) => (row[c] === null ? 'NULL' : text(row[c] ?? null))));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const line = (values: string[]) => values.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join('  ');
  const summary = `(${rows.length} row${rows.length === 1 ? '' : 's'})`;
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), summary].join('\n');
}
