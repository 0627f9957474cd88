/**
 * `npm run override -- force|skip|rerun <pipeline> <YYYY-MM-DD> --reason <text> [--by <name>]`
 *
 * - force: push the partition's running run past its readiness wait (its data files still required);
 * - skip:  waive the partition: backfills stop planning it (until a rerun), monitors stop counting it;
 * - rerun: run it again now.
 * Each records who, when and why in the lake: `npm run sql -- "SELECT * FROM meta.overrides"`.
 * Exit 0, 1 server error, 2 bad input.
 */
import { Command, CommanderError } from 'commander';
import { connectClient } from '../client/connect';
import { checkOverride, forcePartition, rerunPartition, skipPartition } from '../client/overrides';
import { loadConfig } from '../platform/config';
import { exitOnError } from './lib/cli-errors';
import { deploymentRegistry } from '../definitions/registry';

async function main(argv: string[]): Promise<void> {
  const config = loadConfig();
  const registry = deploymentRegistry();
  const program = new Command('npm run override --').description("An operator's override of one partition, recorded with its reason.").exitOverride();
  const actions = {
    force: async (client: Awaited<ReturnType<typeof connectClient>>, request: Parameters<typeof forcePartition>[1]) => {
      const r = await forcePartition(client, request, { config, registry });
      return `forced ${request.pipeline}/${request.partition} (run ${r.runId}) past its readiness wait`;
    },
    skip: async (client: Awaited<ReturnType<typeof connectClient>>, request: Parameters<typeof skipPartition>[1]) => {
      await skipPartition(client, request, { config, registry });
      return `skipped ${request.pipeline}/${request.partition}: backfills will not plan it until it is rerun`;
    },
    rerun: async (client: Awaited<ReturnType<typeof connectClient>>, request: Parameters<typeof rerunPartition>[1]) => {
      const r = await rerunPartition(client, request, { config, registry });
      return `rerunning ${r.workflowId} (run ${r.runId}); Web UI: ${r.webUiUrl}`;
    },
  };
  for (const [kind, act] of Object.entries(actions)) {
    program
      .command(kind)
      .argument('<pipeline>')
      .argument('<partition>', 'YYYY-MM-DD')
      .requiredOption('--reason <text>', 'why (recorded with who and when)')
      .option('--by <name>', 'who (default: CONVEYOR_OPERATOR or the OS user)')
      .action(async (pipeline: string, partition: string, opts: { reason: string; by?: string }) => {
        checkOverride(kind as 'force' | 'skip' | 'rerun', { pipeline, partition, reason: opts.reason, by: opts.by }, { config, registry }); // bad input: refused before connecting
        const client = await connectClient(config);
        try {
          console.error(await act(client, { pipeline, partition, reason: opts.reason, by: opts.by }));
        } finally {
          await client.connection.close();
        }
      });
  }
  await program.parseAsync(argv, { from: 'user' });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor override')(err);
});
