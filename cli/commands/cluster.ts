/**
 * `conveyor cluster`: the production shape on this machine, natively (the stack docker-compose.yml
 * deploys): the full Temporal server on PostgreSQL with the Web UI and the HTTP API, and with
 * `--lake s3` an S3 server. Workers and CLIs need nothing but TEMPORAL_ADDRESS. Ctrl-C stops
 * everything it started.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { parseOption } from '../../common/options';
import type { ConfiguredCluster } from '../../scripts/lib/cluster/configured';
import type { Context } from '../context';
import { examples } from '../output';
import { signalExitCode, untilStopped } from '../signals';

const say = (line: string) => console.error(line);

export function register(program: Command, ctx: Context): void {
  program
    .command('cluster')
    .summary("run the full Temporal server on PostgreSQL (and S3)")
    .description('Run the production shape natively: the full Temporal server on PostgreSQL with the Web UI (and an S3 server with --lake s3) until Ctrl-C.')
    .option('--exit', 'stop again once the stack is up and checked')
    .option('--tools', 'only find or build the server, schema tool and Web UI binaries')
    .option('--quiet', 'with --tools: print nothing when the binaries are there already')
    .option('--lake <kind>', 'folder (default) or s3: also start an S3 server (SeaweedFS) with a lake and a landing bucket')
    .addHelpText('after', examples('npx conveyor cluster', 'npx conveyor cluster --lake s3', 'npx conveyor cluster --exit'))
    .action(async (opts: { exit?: boolean; tools?: boolean; quiet?: boolean; lake?: string }) => {
      const lake = opts.lake === undefined ? 'folder' : parseOption('--lake', z.enum(['folder', 's3'], { error: 'expected folder or s3' }), opts.lake);
      const { config } = ctx;
      if (opts.tools) return buildTools(config.postgres === undefined, opts.quiet === true);
      // While the stack is still coming up, Ctrl-C exits at once: the exit hooks stop what already runs.
      // Once it runs, a second Ctrl-C must not end this process before it has stopped PostgreSQL.
      const stopping = untilStopped({ whileStarting: (signal) => say(`\n${signal}: stopping what conveyor cluster started ...`), secondSignal: 'ignore' });
      const { startConfiguredCluster } = (require('../../scripts/lib/cluster/configured') as typeof import('../../scripts/lib/cluster/configured'));
      const running = await startConfiguredCluster(config, { lake, progress: say });
      stopping.started();
      printStarted(running, config.namespace, config.postgres ? `PostgreSQL at ${config.postgres.host}:${config.postgres.port}` : undefined);
      if (opts.exit) {
        await running.stop();
        say('Stopped (--exit).');
        return;
      }
      say('Press Ctrl-C to stop.');
      const ended = await Promise.race([stopping.stopped, running.cluster.server().exited]);
      if (typeof ended === 'string') {
        say(`\n${ended}: stopping the Temporal server, Web UI${running.s3 ? ', SeaweedFS' : ''} and PostgreSQL ...`);
        await running.stop();
        ctx.exitCode = signalExitCode(ended);
        return;
      }
      say(`The Temporal server exited (code ${ended}); see ${running.cluster.serverLogFile}. Stopping the rest ...`);
      await running.stop();
      ctx.exitCode = 1;
    });
}

async function buildTools(privatePostgres: boolean, quiet: boolean): Promise<void> {
  const { privatePostgresUnavailable } = (require('../../scripts/lib/cluster/postgres') as typeof import('../../scripts/lib/cluster/postgres'));
  const { ensureClusterTools } = (require('../../scripts/lib/cluster/tools') as typeof import('../../scripts/lib/cluster/tools'));
  const noPostgres = privatePostgres ? privatePostgresUnavailable() : undefined;
  if (noPostgres) return say(`conveyor cluster: not building the Temporal server: ${noPostgres}`);
  const tools = await ensureClusterTools(say);
  if (!quiet) console.log(`server ${tools.server}\nsql ${tools.sqlTool}\nui ${tools.ui ?? '(none)'}\ncli ${tools.cli}`);
}

function printStarted(running: ConfiguredCluster, namespace: string, postgres: string | undefined): void {
  const { cluster, s3 } = running;
  say('');
  say(`Temporal ${running.release} on PostgreSQL is up at ${cluster.address}, namespace ${namespace}.`);
  say(`Web UI:   ${cluster.uiUrl ?? '(not available; docker-compose.yml runs temporal-ui)'}`);
  say(`HTTP API: ${cluster.httpUrl} (services call it with curl: docs/services.md)`);
  say(`State:    ${postgres ?? path.join(running.stateDir, 'postgres')} (survives a restart)`);
  say('Workers and CLIs use it as they use the dev server (same TEMPORAL_ADDRESS), e.g. in other terminals:');
  say('  npx conveyor worker --queues daily      npx conveyor worker --queues backfill');
  say('  npx conveyor backfill --pipeline orders --from 2024-03-01 --to 2024-03-31');
  if (!s3) return;
  say(`S3:       ${s3.server.endpoint} (SeaweedFS), lake ${s3.env.CONVEYOR_LAKE_URL}, landing ${s3.env.CONVEYOR_LANDING_URL}`);
  say(`A worker, conveyor generate and conveyor sql on the S3 lake need these (also in ${path.relative(process.cwd(), s3.envFile)}; \`source\` it):`);
  for (const [name, value] of Object.entries(s3.env)) console.log(`export ${name}=${value}`);
}
