/**
 * `npm run server`: find (or build) the Temporal CLI and run the dev server in the foreground,
 * persisting to `<data dir>/temporal/temporal.db`. Ctrl-C stops it; state survives a restart.
 */
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { exitOnError } from './lib/cli-errors';
import { isServerUp, temporalTarget } from '../client/connect';
import { startDevServer, uiCodecEndpointOf } from './lib/dev-server';
import { ensureTemporalCli } from './lib/temporal-cli';

async function main(): Promise<void> {
  const config = loadConfig();
  const [host, port] = config.temporalAddress.split(':') as [string, string];
  if (await isServerUp(temporalTarget(config))) {
    console.error(`a Temporal server is already running at ${config.temporalAddress} (Web UI ${config.webUiUrl})`);
    return;
  }
  const cli = await ensureTemporalCli({ progress: (line) => console.error(line), allowSdkDownload: true });
  const uiPort = Number(new URL(config.webUiUrl).port || 8233);
  const dbFile = path.join(config.dataDir, 'temporal', 'temporal.db');
  const server = await startDevServer({
    cli,
    dbFile,
    ip: host === 'localhost' ? '127.0.0.1' : host,
    port: Number(port),
    uiPort,
    namespace: config.namespace,
    log: (line) => console.error(line),
    uiCodecEndpoint: uiCodecEndpointOf(config),
  });
  console.error(`Temporal server up at ${server.address}; Web UI ${server.uiUrl}; state in ${dbFile}`);
  if (config.codecKeys) console.error(`Payloads are encrypted: the Web UI decodes them through ${uiCodecEndpointOf(config)} (run \`npm run codec-server\`)`);
  console.error('Press Ctrl-C to stop.');
  const stop = () => void server.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await server.exited;
}

main().catch(exitOnError('conveyor server'));
