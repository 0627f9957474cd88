/**
 * `npm run notify -- <pipeline> <YYYY-MM-DD> [--by <name>]`: the partition's data has landed. A run
 * waiting for it goes on at once; with no run going, one starts (RunKind `event`). Exit 0, 1 server
 * error, 2 bad input.
 */
import { Command, CommanderError } from 'commander';
import { connectClient } from '../client/connect';
import { notifyLanded } from '../client/overrides';
import { preflightPartitionRun } from '../client/partition-runs';
import { loadConfig } from '../platform/config';
import { exitOnError } from './lib/cli-errors';
import { deploymentRegistry } from '../definitions/registry';

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run notify --')
    .description("Tell Conveyor a partition's data has landed.")
    .argument('<pipeline>')
    .argument('<partition>', 'YYYY-MM-DD')
    .option('--by <name>', 'who or what is notifying (default: CONVEYOR_OPERATOR or the OS user)')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const [pipeline, partition] = program.processedArgs as [string, string];
  const config = loadConfig();
  const registry = deploymentRegistry();
  preflightPartitionRun({ pipeline, partition }, { config, registry }); // bad input: refused before connecting
  const client = await connectClient(config);
  try {
    const r = await notifyLanded(client, { pipeline, partition, by: program.opts<{ by?: string }>().by }, { config, registry });
    console.error(`${r.started ? 'started' : 'woke'} ${r.workflowId} (run ${r.runId}); Web UI: ${r.webUiUrl}`);
  } finally {
    await client.connection.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor notify')(err);
});
