/**
 * `npm run generate -- --from 2024-01-01 --to 2024-01-07 [--rows 1000] [--files 2]
 *                      [--fault 2024-01-03=malformed] [--fault 2024-01-04=flaky:2] ...`
 *
 * Writes sample `orders` drops into the landing zone. Faults: malformed (5% bad rows),
 * duplicates (3% repeated rows), no-marker (no _SUCCESS), flaky:N (first N reads fail).
 */
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../common/config';
import { addDays, countPartitions } from '../common/partition-key';
import { FAULT_KINDS, generateOrdersPartition, type Fault } from '../pipelines/orders/generate';
import { InputError } from '../pipelines/registry';
import { exitOnError } from './lib/cli-errors';
import { intInRange, parseOption, partitionKeySchema } from './lib/options';

const FAULT_PATTERN = /^(\d{4}-\d{2}-\d{2})=([a-z-]+)(?::(\d+))?$/;

function parseFault(spec: string): { partition: string; fault: Fault } {
  const match = FAULT_PATTERN.exec(spec);
  const kind = match?.[2];
  if (!match || !(FAULT_KINDS as readonly string[]).includes(kind ?? '')) {
    throw new InputError(`invalid --fault "${spec}": expected DATE=KIND with KIND one of ${FAULT_KINDS.join(', ')} (flaky:N allowed)`);
  }
  return {
    partition: parseOption('--fault date', partitionKeySchema, match[1]),
    fault: { kind: kind as Fault['kind'], count: match[3] ? Number(match[3]) : undefined },
  };
}

function main(argv: string[]): void {
  const program = new Command('npm run generate --')
    .description('Write sample orders files into the landing zone.')
    .requiredOption('--from <date>', 'first partition, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last partition, YYYY-MM-DD')
    .option('--pipeline <name>', 'pipeline to generate for (only orders has a generator)', 'orders')
    .option('--rows <n>', 'rows per day', '1000')
    .option('--files <n>', 'files per day', '2')
    .option('--fault <date=kind>', 'inject a fault (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ from: string; to: string; pipeline: string; rows: string; files: string; fault: string[] }>();

  if (opts.pipeline !== 'orders') throw new InputError(`no sample-data generator for pipeline '${opts.pipeline}' (available: orders)`);
  const from = parseOption('--from', partitionKeySchema, opts.from);
  const to = parseOption('--to', partitionKeySchema, opts.to);
  if (from > to) throw new InputError(`--from ${from} is after --to ${to}`);
  const rows = parseOption('--rows', intInRange(1, 10_000_000), opts.rows);
  const files = parseOption('--files', intInRange(1, 100), opts.files);
  const faults = opts.fault.map(parseFault);
  parseOption('range', z.number().max(20_000, 'at most 20,000 days at once'), countPartitions(from, to));

  const config = loadConfig();
  let total = 0;
  for (let partition = from; partition <= to; partition = addDays(partition, 1)) {
    const dayFaults = faults.filter((f) => f.partition === partition).map((f) => f.fault);
    const result = generateOrdersPartition({ landingDir: config.landingDir, partition, rows, files, faults: dayFaults });
    total += result.rowsWritten;
    const note = dayFaults.length ? ` (faults: ${dayFaults.map((f) => f.kind + (f.count ? `:${f.count}` : '')).join(', ')})` : '';
    console.error(`${partition}: ${result.rowsWritten} rows in ${files} file(s) → ${result.dir}${note}`);
  }
  console.error(`generated ${countPartitions(from, to)} partition(s), ${total} rows`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor generate')(err);
}
