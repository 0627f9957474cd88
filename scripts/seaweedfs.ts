/**
 * `npm run seaweedfs`: print the path of SeaweedFS's `weed`, the S3 server the lake's tests run
 * against, building it first if needed (Go, about 10 minutes the first time). `--quiet` prints
 * nothing on success (used by `npm test` to make sure the binary exists).
 */
import { ensureSeaweedFS, SeaweedFSUnavailable } from './lib/seaweedfs';

async function main(): Promise<void> {
  const quiet = process.argv.includes('--quiet');
  const weed = await ensureSeaweedFS((line) => console.error(line));
  if (!quiet) console.log(weed);
}

main().catch((err: unknown) => {
  console.error(`conveyor: ${err instanceof SeaweedFSUnavailable ? err.message : String(err)}`);
  process.exit(1);
});
