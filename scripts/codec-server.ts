/**
 * `npm run codec-server [-- --port N] [--host H]`: the codec endpoint that lets the Temporal Web UI
 * show payloads encrypted with CONVEYOR_CODEC_KEYS (point the Web UI's "Codec Server" setting, or
 * the UI server's `codec.endpoint`, at http://localhost:8091). Refuses to start without keys.
 */
import { serve } from '@hono/node-server';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../platform/config';
import { AesGcmCodec } from '../platform/payload-codec';
import { createCodecApp } from './lib/codec-server';
import { exitOnError } from './lib/cli-errors';
import { intInRange, parseOption } from '../common/options';

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run codec-server --')
    .description('Serve the payload codec endpoint for the Temporal Web UI.')
    .option('--port <n>', 'port (default: CONVEYOR_CODEC_PORT, 8091)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ port?: string; host: string }>();
  const config = loadConfig();
  const port = opts.port === undefined ? config.codecPort : parseOption('--port', intInRange(1, 65535), opts.port);
  if (!config.codecKeys) throw new ConfigError('CONVEYOR_CODEC_KEYS is not set: there is nothing to decode (see .env.example)');
  const app = createCodecApp(new AesGcmCodec(config.codecKeys), new URL(config.webUiUrl).origin);
  const server = serve({ fetch: app.fetch, port, hostname: opts.host }, () =>
    console.error(`codec endpoint: http://${opts.host}:${port} for the Web UI at ${config.webUiUrl} (keys: ${[...config.codecKeys!.keys.keys()].join(', ')}; encrypting with ${config.codecKeys!.current})`),
  );
  server.once('error', (err: NodeJS.ErrnoException) => {
    console.error(`conveyor codec-server: cannot serve on ${opts.host}:${port} (${err.code ?? err.message})`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor codec-server')(err);
});
