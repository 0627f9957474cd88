/**
 * `conveyor codec-server`: the codec endpoint through which the Temporal Web UI shows payloads
 * encrypted with CONVEYOR_CODEC_KEYS. Refuses to start without keys.
 */
import type { Command } from 'commander';
import { InputError } from '../../common/errors';
import { intInRange, parseOption } from '../../common/options';
import { createCodecApp } from '../../platform/codec-server';
import { serveApp } from '../../platform/http-server';
import { AesGcmCodec } from '../../platform/payload-codec';
import type { Context } from '../context';
import { examples } from '../output';
import { untilStopped } from '../signals';

export function register(program: Command, ctx: Context): void {
  program
    .command('codec-server')
    .summary("serve the codec endpoint for encrypted payloads")
    .description("Serve the payload codec endpoint the Temporal Web UI decodes encrypted payloads through (set the UI's Codec Server to it).")
    .option('--port <n>', 'port (default: CONVEYOR_CODEC_PORT, 8091)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .addHelpText('after', examples('CONVEYOR_CODEC_KEYS="k1:$(openssl rand -base64 32)" npx conveyor codec-server'))
    .action(async (opts: { port?: string; host: string }) => {
      const { config } = ctx;
      const port = opts.port === undefined ? config.codecPort : parseOption('--port', intInRange(1, 65535), opts.port);
      const keys = config.codecKeys;
      if (!keys) throw new InputError('CONVEYOR_CODEC_KEYS is not set: there is nothing to decode (see .env.example)');
      const stopping = untilStopped();
      const app = createCodecApp(new AesGcmCodec(keys), new URL(config.webUiUrl).origin);
      const server = await serveApp(app, { port, host: opts.host, portVariable: 'CONVEYOR_CODEC_PORT' });
      stopping.started();
      console.error(`codec endpoint: ${server.url} for the Web UI at ${config.webUiUrl} (keys: ${[...keys.keys.keys()].join(', ')}; encrypting with ${keys.current})`);
      await stopping.stopped;
      await server.close();
    });
}
