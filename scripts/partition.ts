/**
 * `npm run partition -- <pipeline> <YYYY-MM-DD> [--wait-for-data] [--no-wait] [--json]`
 *
 * Starts (or attaches to) the partition's run, waits for it, prints the outcome with row counts
 * and the Web UI link. Exit codes: 0 succeeded, 1 partition failed, 2 bad input.
 */
import { Command, CommanderError } from 'commander';
import { connectClient } from '../client/connect';
import { checkLandedData, preflightPartitionRun, startPartitionRun, waitForPartitionRun, type PartitionRunOutcome } from '../client/partition-runs';
import { loadConfig } from '../platform/config';
import { exitOnError } from './lib/cli-errors';
import { deploymentRegistry } from '../definitions/registry';
import { parsePartitionWorkflowId } from '../common/workflow-ids';

async function main(argv: string[]): Promise<number> {
  const program = new Command('npm run partition --')
    .description('Run one partition of a pipeline and wait for the outcome.')
    .argument('<pipeline>', 'pipeline name, e.g. orders')
    .argument('<partition>', 'partition date, YYYY-MM-DD')
    .option('--wait-for-data', 'start even if no files have landed yet (waits for them like a scheduled run)')
    .option('--no-wait', 'start (or attach) and return without waiting for the outcome')
    .option('--json', 'print the outcome as JSON')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse(argv, { from: 'user' });
  const [pipeline, partition] = program.processedArgs as [string, string];
  const opts = program.opts<{ waitForData?: boolean; wait: boolean; json?: boolean }>();

  const config = loadConfig();
  const registry = deploymentRegistry();
  const request = { pipeline, partition, runKind: 'manual' as const, requireLandedData: !opts.waitForData };
  preflightPartitionRun(request, { config, registry }); // bad input fails here, before any connection
  await checkLandedData(request, { config, registry }); // and data that has not landed
  const client = await connectClient(config);
  const run = await startPartitionRun(client, request, { config, registry });
  console.error(`${run.attached ? 'attached to running' : 'started'} ${run.workflowId} (run ${run.runId})`);
  console.error(`Web UI: ${run.webUiUrl}`);
  if (!opts.wait) return 0;

  const outcome = await waitForPartitionRun(run);
  if (opts.json) console.log(JSON.stringify(outcome, null, 2));
  else printOutcome(outcome);
  await client.connection.close();
  return outcome.status === 'succeeded' ? 0 : 1;
}

function printOutcome(outcome: PartitionRunOutcome): void {
  if (outcome.status === 'succeeded') {
    const { result } = outcome;
    console.log(`✔ ${result.workflowId} succeeded`);
    console.log(
      `  rows in ${result.rows.in}, published ${result.rows.published}, rejected ${result.rows.rejected}, duplicates dropped ${result.rows.duplicate}`,
    );
    const steps = Object.entries(result.durationsMs)
      .map(([step, ms]) => `${step} ${ms} ms (attempt ${result.attempts[step as keyof typeof result.attempts]})`)
      .join(', ');
    console.log(`  files ${result.files}; ${steps}`);
    return;
  }
  const { failure } = outcome;
  console.log(`✘ ${outcome.workflowId} failed at ${failure.step} (${failure.failureClass} failure)`);
  console.log(`  ${failure.reason}`);
  for (const reason of failure.sampleReasons ?? []) console.log(`    - ${reason}`);
  if (failure.failureClass === 'data') {
    const { pipeline, partition } = parsePartitionWorkflowId(outcome.workflowId)!;
    console.log(`  rejected rows: npm run sql -- "SELECT * FROM quality.rejects WHERE pipeline = '${pipeline}' AND partition_key = '${partition}'"`);
  }
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    exitOnError('conveyor partition')(err);
  });
