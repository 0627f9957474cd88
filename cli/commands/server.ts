/** `conveyor server`: the Temporal dev server in the foreground, its state under the data dir, until Ctrl-C. */
import path from 'node:path';
import type { Command } from 'commander';
import { isServerUp, temporalTarget } from '../../platform/temporal';
import type { Context } from '../context';
import { examples } from '../output';
import { untilStopped } from '../signals';

export function register(program: Command, ctx: Context): void {
  program
    .command('server')
    .summary("run the Temporal dev server")
    .description('Run the Temporal dev server in the foreground (SQLite in <data dir>/temporal, the Web UI and the HTTP API beside it); state survives a restart.')
    .addHelpText('after', examples('npx conveyor server', 'TEMPORAL_ADDRESS=localhost:7300 TEMPORAL_UI_URL=http://localhost:8300 TEMPORAL_HTTP_URL=http://localhost:7310 npx conveyor server'))
    .action(async () => {
      const { config } = ctx;
      if (await isServerUp(temporalTarget(config))) {
        console.error(`a Temporal server is already running at ${config.temporalAddress} (Web UI ${config.webUiUrl}, HTTP API ${config.httpApiUrl})`);
        return;
      }
      const stopping = untilStopped();
      const say = (line: string) => console.error(line);
      const { startConfiguredDevServer, uiCodecEndpointOf } = (require('../../scripts/lib/dev-server') as typeof import('../../scripts/lib/dev-server'));
      const server = await startConfiguredDevServer(config, { log: say, progress: say });
      stopping.started();
      console.error(`Temporal server up at ${server.address}; Web UI ${server.uiUrl}; HTTP API ${server.httpUrl}; state in ${path.relative(process.cwd(), server.dbFile) || server.dbFile}`);
      if (config.codecKeys) console.error(`Payloads are encrypted: the Web UI decodes them through ${uiCodecEndpointOf(config)} (run \`npx conveyor codec-server\`)`);
      console.error('Press Ctrl-C to stop.');
      await Promise.race([stopping.stopped, server.exited]);
      await server.stop();
    });
}
