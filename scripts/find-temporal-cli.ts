/**
 * `npm run temporal-cli`: print the path of the Temporal CLI, building it first if needed.
 * `--quiet` prints nothing on success (used by `npm test` to make sure the binary exists).
 */
import { runMain } from '../platform/exit';
import { ensureTemporalCli } from './lib/temporal-cli';

runMain('conveyor temporal-cli', async () => {
  const cli = await ensureTemporalCli({ progress: (line) => console.error(line), allowSdkDownload: false });
  if (cli.kind === 'path' && !process.argv.includes('--quiet')) console.log(cli.path);
});
