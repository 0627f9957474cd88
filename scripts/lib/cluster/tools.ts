/**
 * The binaries `npx conveyor cluster` runs, found in or built into `.tools/`:
 * - the full Temporal server and its schema tool (`temporal-sql-tool` in Temporal's images), from
 *   `go.temporal.io/server` at the version docker-compose.yml deploys;
 * - the Temporal Web UI server, from `github.com/temporalio/ui-server/v2` at the version the dev
 *   server's CLI bundles (its module is already in Go's cache once the CLI is built);
 * - the Temporal CLI (scripts/lib/temporal-cli.ts), which registers the namespace.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { goInstall, goUnusable, TOOLS_DIR, type Progress } from '../go-build';
import { ensureTemporalCli, findTemporalCli } from '../temporal-cli';
import { Unavailable } from '../../../common/errors';

/** docker-compose.yml runs `temporalio/server:<this without v>` and `temporalio/admin-tools:<this>-…`. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** docker-compose.yml runs `temporalio/ui:<this without v>`. */
export const TEMPORAL_UI_VERSION = 'v2.42.1';

const SERVER_DIR = path.join(TOOLS_DIR, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
const UI_DIR = path.join(TOOLS_DIR, `temporal-ui-${TEMPORAL_UI_VERSION}`);

export interface ClusterTools {
  /** The Temporal server (`temporal-server` in Temporal's images). */
  server: string;
  /** The SQL schema tool (`temporal-sql-tool` in Temporal's images). */
  sqlTool: string;
  /** The Web UI server; undefined when it could not be built (the cluster runs without a UI). */
  ui?: string;
  /** The Temporal CLI, for `deploy/temporal/setup-namespace.sh`. */
  cli: string;
}

export class ClusterToolsUnavailable extends Unavailable {
  override name = 'ClusterToolsUnavailable';
}

/** A binary answers `--version` with its own version. */
function answersVersion(binary: string, version: string): boolean {
  if (!fs.existsSync(binary)) return false;
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0 && result.stdout.includes(version.replace(/^v/, ''));
}

const serverBinaries = () => ({ server: path.join(SERVER_DIR, 'server'), sqlTool: path.join(SERVER_DIR, 'sql') });
const uiBinary = () => path.join(UI_DIR, 'server');

/** The tools when all are built already (nothing is built). */
export function findClusterTools(): ClusterTools | undefined {
  const { server, sqlTool } = serverBinaries();
  const cli = findTemporalCli();
  if (!cli || cli.kind !== 'path') return undefined;
  if (!answersVersion(server, TEMPORAL_SERVER_VERSION) || !answersVersion(sqlTool, TEMPORAL_SERVER_VERSION)) return undefined;
  return { server, sqlTool, ui: answersVersion(uiBinary(), TEMPORAL_UI_VERSION) ? uiBinary() : undefined, cli: cli.path };
}

/** Find the tools, building what is missing with Go (progress lines while it builds). */
export async function ensureClusterTools(progress: Progress): Promise<ClusterTools> {
  const cli = await ensureTemporalCli({ progress, allowSdkDownload: false });
  if (cli.kind !== 'path') throw new ClusterToolsUnavailable('the Temporal CLI is needed to register the namespace');
  const { server, sqlTool } = serverBinaries();
  if (!answersVersion(server, TEMPORAL_SERVER_VERSION) || !answersVersion(sqlTool, TEMPORAL_SERVER_VERSION)) {
    const built = await goInstall({
      what: `the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL schema tool`,
      packages: [`go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`],
      gobin: SERVER_DIR,
      progress,
    });
    if (!built || !answersVersion(server, TEMPORAL_SERVER_VERSION)) {
      const why = goUnusable() ?? 'go install failed (its output is above)';
      throw new ClusterToolsUnavailable(`cannot build the Temporal server ${TEMPORAL_SERVER_VERSION}: ${why}`);
    }
  }
  let ui: string | undefined = uiBinary();
  if (!answersVersion(ui, TEMPORAL_UI_VERSION)) {
    const built = await goInstall({
      what: `the Temporal Web UI server ${TEMPORAL_UI_VERSION}`,
      packages: [`github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_VERSION}`],
      gobin: UI_DIR,
      progress,
    });
    if (!built || !answersVersion(ui, TEMPORAL_UI_VERSION)) {
      progress('The Web UI server could not be built; the cluster runs without a Web UI (docker-compose.yml has one).');
      ui = undefined;
    }
  }
  return { server, sqlTool, ui, cli: cli.path };
}
