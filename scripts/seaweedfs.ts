/**
 * `npm run seaweedfs`: print the path of SeaweedFS's `weed`, the S3 server the lake's tests run
 * against, building it first if needed (Go, about 10 minutes the first time). `--quiet` prints
 * nothing on success (used by `npm test` to make sure the binary exists).
 */
import { runMain } from '../platform/exit';
import { ensureSeaweedFS } from './lib/seaweedfs';

runMain('conveyor seaweedfs', async () => {
  const weed = await ensureSeaweedFS((line) => console.error(line));
  if (!process.argv.includes('--quiet')) console.log(weed);
});
