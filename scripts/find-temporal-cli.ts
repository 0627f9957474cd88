/**
 * `npm run temporal-cli`: print the path of the Temporal CLI, building it first if needed.
 * `--quiet` prints nothing on success (used by `npm test` to make sure the binary exists).
 */
import { ensureTemporalCli, TemporalCliNotFound } from './lib/temporal-cli';

async function main(): Promise<void> {
  const quiet = process.argv.includes('--quiet');
  const cli = await ensureTemporalCli({ progress: (line) => console.error(line), allowSdkDownload: false });
  if (cli.kind === 'path' && !quiet) console.log(cli.path);
}

main().catch((err: unknown) => {
  console.error(`conveyor: ${err instanceof TemporalCliNotFound ? err.message : String(err)}`);
  process.exit(1);
});
