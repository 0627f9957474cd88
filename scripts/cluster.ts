/**
 * `npm run cluster`: Conveyor's production shape on this machine, the stack docker-compose.yml deploys,
 * run natively: the full Temporal server (built from Go modules into .tools/ on first use) on
 * PostgreSQL (CONVEYOR_POSTGRES_URL, or a private cluster under the data dir), its schemas created or
 * upgraded, Conveyor's namespace and search attributes registered, and the Web UI. Workers and CLIs
 * need nothing but TEMPORAL_ADDRESS. Ctrl-C stops everything it started; state survives a restart.
 *
 *   npm run cluster                 # until Ctrl-C
 *   npm run cluster -- --exit       # bring it up, check it, stop (a smoke test)
 *   npm run cluster -- --tools      # only find or build the binaries (npm test does this)
 *   npm run cluster -- --lake s3    # and an S3 server (SeaweedFS) for the lake and the landing zone
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { isServerUp, temporalTarget } from '../client/connect';
import { loadConfig } from '../platform/config';
import { exitOnError } from './lib/cli-errors';
import { privatePostgresUnavailable } from './lib/cluster/postgres';
import { ClusterStartFailed, startCluster, stopLeftovers } from './lib/cluster/stack';
import { ensureClusterTools } from './lib/cluster/tools';
import { claimPidFile } from './lib/service-process';
import { CLUSTER_LAKE_URL, CLUSTER_LANDING_URL, startClusterS3, type ClusterS3 } from './lib/cluster/s3';
import { parseOption } from '../common/options';
import { z } from 'zod';

const say = (line: string) => console.error(line);

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run cluster --')
    .option('--exit', 'stop again once the stack is up and checked')
    .option('--tools', 'only find or build the server, schema tool and Web UI binaries')
    .option('--quiet', 'with --tools: print nothing when the binaries are there already')
    .option('--lake <kind>', 'folder (default) or s3: also start an S3 server (SeaweedFS) with a lake and a landing bucket')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ exit?: boolean; tools?: boolean; quiet?: boolean; lake?: string }>();
  const lakeKind = opts.lake === undefined ? 'folder' : parseOption('--lake', z.enum(['folder', 's3'], { error: 'expected folder or s3' }), opts.lake);
  const config = loadConfig();

  if (opts.tools) {
    const noPostgres = config.postgres ? undefined : privatePostgresUnavailable();
    if (noPostgres) {
      say(`npm run cluster: not building the Temporal server: ${noPostgres}`);
      return;
    }
    const tools = await ensureClusterTools(say);
    if (!opts.quiet) console.log(`server ${tools.server}\nsql ${tools.sqlTool}\nui ${tools.ui ?? '(none)'}\ncli ${tools.cli}`);
    return;
  }

  // Ctrl-C or SIGTERM, once: later ones are ignored while stopping (a second Ctrl-C must not kill
  // this process before it has stopped PostgreSQL). While the stack is still coming up, exit at once:
  // the exit hooks stop what already runs.
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  const exitCode = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);
  const interrupted = new Promise<NodeJS.Signals>((resolve) => {
    let seen = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (seen) return;
        seen = true;
        resolve(signal);
        if (!cluster) {
          say(`\n${signal}: stopping what npm run cluster started ...`);
          process.exit(exitCode(signal));
        }
      });
    }
  });

  const tools = await ensureClusterTools(say);
  const stateDir = path.join(config.dataDir, 'cluster');
  fs.mkdirSync(stateDir, { recursive: true });
  const holder = claimPidFile(path.join(stateDir, 'npm-run-cluster.pid'), 'cluster.ts');
  if (holder !== undefined) {
    throw new ClusterStartFailed(`npm run cluster already runs for ${config.dataDir} (pid ${holder}): stop it first, or use another CONVEYOR_DATA_DIR`);
  }
  await stopLeftovers(stateDir, tools, say);
  if (await isServerUp(temporalTarget(config))) {
    throw new ClusterStartFailed(
      `a Temporal server already answers at ${config.temporalAddress} (\`npm run server\` or \`npm start\`?): stop it, or set TEMPORAL_ADDRESS to another host:port`,
    );
  }
  cluster = await startCluster({
    tools,
    stateDir,
    postgres: config.postgres,
    address: config.temporalAddress,
    internalPorts: 'default',
    uiPort: Number(new URL(config.webUiUrl).port || 8233),
    namespace: config.namespace,
    progress: say,
  });
  let s3: ClusterS3 | undefined;
  if (lakeKind === 's3') {
    try {
      s3 = await startClusterS3(stateDir, say);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }
  const stopAll = async () => {
    await s3?.server.stop();
    await cluster!.stop();
  };
  say('');
  say(`Temporal ${path.basename(path.dirname(tools.server)).replace('temporal-server-', '')} on PostgreSQL is up at ${cluster.address}, namespace ${config.namespace}.`);
  say(`Web UI:   ${cluster.uiUrl ?? '(not available; docker-compose.yml runs temporal-ui)'}`);
  say(`State:    ${config.postgres ? `PostgreSQL at ${config.postgres.host}:${config.postgres.port}` : path.join(stateDir, 'postgres')} (survives a restart)`);
  say('Workers and CLIs use it as they use the dev server (same TEMPORAL_ADDRESS), e.g. in other terminals:');
  say('  npm run worker -- --queues daily      npm run worker -- --queues backfill');
  say('  npm run backfill -- --pipeline orders --from 2024-03-01 --to 2024-03-31');
  if (s3) {
    say(`S3:       ${s3.server.endpoint} (SeaweedFS), lake ${CLUSTER_LAKE_URL}, landing ${CLUSTER_LANDING_URL}`);
    say(`A worker, npm run generate and npm run sql on the S3 lake need these (also in ${path.relative(process.cwd(), s3.envFile)}; \`source\` it):`);
    for (const [name, value] of Object.entries(s3.env)) console.log(`export ${name}=${value}`);
  }
  if (opts.exit) {
    await stopAll();
    say('Stopped (--exit).');
    return;
  }
  say('Press Ctrl-C to stop.');
  const ended = await Promise.race([interrupted, cluster.server().exited.then((code) => code)]);
  if (typeof ended === 'string') {
    say(`\n${ended}: stopping the Temporal server, Web UI${s3 ? ', SeaweedFS' : ''} and PostgreSQL ...`);
    await stopAll();
    process.exit(exitCode(ended));
  }
  say(`The Temporal server exited (code ${ended}); see ${cluster.serverLogFile}. Stopping the rest ...`);
  await stopAll();
  process.exit(1);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('npm run cluster')(err);
});
