/**
 * `npm run status [-- --json] [--days N]`: per pipeline, its owner, newest published partition,
 * freshness (fresh / late by X), the last run's outcome, the rows and rejects of recent partitions,
 * running backfills and open alerts. Reads the lake; asks the Temporal server what is running, and
 * says so when it cannot (the rest is still shown).
 */
import { Command, CommanderError } from 'commander';
import type { Client } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { statusReport, statusText } from '../client/status';
import { loadConfig } from '../platform/config';
import { deploymentRegistry } from '../definitions/registry';
import { exitOnError } from './lib/cli-errors';
import { intInRange, parseOption } from '../common/options';

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run status --')
    .description("The state of each pipeline's data: freshness, recent partitions, backfills, open alerts.")
    .option('--json', 'print the report as JSON')
    .option('--days <n>', 'recent partitions to show', '7')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ json?: boolean; days: string }>();
  const days = parseOption('--days', intInRange(1, 366), opts.days);
  const config = loadConfig();
  let client: Client | undefined;
  let serverUnavailable: string | undefined;
  try {
    client = await connectClient(config);
  } catch (err) {
    serverUnavailable = (err as Error).message;
  }
  try {
    const report = await statusReport(config, deploymentRegistry(), { client, serverUnavailable, days });
    console.log(opts.json ? JSON.stringify(report, null, 2) : statusText(report));
  } finally {
    await client?.connection.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor status')(err);
});
