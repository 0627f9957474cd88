/**
 * The README's "Your first pipeline", run as written: the fenced bash block under that heading, split
 * into its commands, each run in order through `sh -c` (so quoting is the shell's) with `npx conveyor`
 * replaced by this checkout's `node cli/bin.js`, against a real Temporal dev server and a real worker
 * process. CONVEYOR_PIPELINES_DIR points at a temporary folder, so the scaffold lands there and nothing
 * in the checkout changes. A renamed command or flag in the README, or a walkthrough that stops
 * working, fails this test.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS, within } from './helpers/bounds';
import { CONVEYOR_BIN } from './helpers/cli';
import { startTestServer } from './helpers/harness';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

const ROOT = path.resolve(__dirname, '..');
const HEADING = '## Your first pipeline';
/** Rows per partition the scaffold's generator writes when `generate` is given no --rows. */
const SCAFFOLD_ROWS = 100;

/** The commands of the fenced bash block under `heading` in `markdown`: comments and blank lines dropped, `\` continuations joined. */
function walkthroughCommands(markdown: string, heading = HEADING): string[] {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.trim() === heading);
  assert.ok(at >= 0, `README.md has no "${heading}" heading`);
  const open = lines.findIndex((l, i) => i > at && (/^```bash\s*$/.test(l) || /^#{1,2} /.test(l)));
  assert.ok(open > at && lines[open]!.startsWith('```bash'), `no \`\`\`bash block under "${heading}" before the next section`);
  const close = lines.findIndex((l, i) => i > open && /^```\s*$/.test(l));
  assert.ok(close > open, `the bash block under "${heading}" is not closed`);
  const commands: string[] = [];
  let pending = '';
  for (const raw of lines.slice(open + 1, close)) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    commands.push(`${pending}${line}`.trim());
    pending = '';
  }
  if (pending) commands.push(pending.trim());
  return commands;
}

/** A command's words as the shell splits them (enough for flags and plain arguments). */
const words = (command: string): string[] => command.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
const subcommandOf = (command: string): string => words(command)[2] ?? '';
const flag = (command: string, name: string): string | undefined => {
  const w = words(command);
  const i = w.indexOf(name);
  return i >= 0 ? w[i + 1] : undefined;
};
/** The cells of a table or CSV line of `conveyor sql`'s output. */
const cellsOf = (line: string): string[] => line.split(/[|│,\t]|\s{2,}/).map((c) => c.trim()).filter(Boolean);

let server: TestWorkflowEnvironment | undefined;
let worker: WorkerProcess | undefined;
let tmp: string;
let env: NodeJS.ProcessEnv;
let pipelinesDir: string;
let otherPipelinesDir: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-readme-'));
  pipelinesDir = path.join(tmp, 'team-pipelines');
  otherPipelinesDir = path.join(tmp, 'more-pipelines');
  fs.mkdirSync(pipelinesDir);
  fs.mkdirSync(otherPipelinesDir);
  server = await startTestServer();
  env = {
    ...process.env,
    NODE_TEST_CONTEXT: undefined,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: undefined,
    CONVEYOR_DATA_DIR: path.join(tmp, 'data'),
    CONVEYOR_LAKE_DIR: undefined,
    CONVEYOR_LAKE_URL: undefined,
    CONVEYOR_LANDING_URL: undefined,
    CONVEYOR_CODEC_KEYS: undefined,
    // Two folders: new-pipeline scaffolds into the first.
    CONVEYOR_PIPELINES_DIR: `${pipelinesDir}:${otherPipelinesDir}`,
    CONVEYOR_TASK_QUEUE: `test-daily-${randomUUID()}`,
    CONVEYOR_BACKFILL_TASK_QUEUE: `test-backfill-${randomUUID()}`,
  };
}, START_HOOK_OPTIONS);

after(async () => {
  try {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      const exited = new Promise((resolve) => worker!.child.once('exit', resolve));
      worker.child.kill('SIGTERM');
      await within('the walkthrough worker exiting', 30_000, exited).catch(() => worker!.child.kill('SIGKILL'));
    }
    if (server) await within('Temporal server teardown', 20_000, server.teardown());
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}, STOP_HOOK_OPTIONS);

describe("README: Your first pipeline", () => {
  it('runs as written: scaffold, land sample data, run a partition, query it', { timeout: 300_000 }, async () => {
    const commands = walkthroughCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    for (const command of commands) assert.match(command, /^npx conveyor \S/, `every command of the walkthrough is \`npx conveyor …\`: ${command}`);
    const order = commands.map(subcommandOf);
    for (const needed of ['new-pipeline', 'generate', 'partition', 'sql']) assert.ok(order.includes(needed), `the walkthrough has a \`${needed}\` command (has: ${order.join(', ')})`);

    const scaffold = commands.find((c) => subcommandOf(c) === 'new-pipeline')!;
    const name = words(scaffold)[3]!;
    const rowsPerPartition = Number(flag(commands.find((c) => subcommandOf(c) === 'generate')!, '--rows') ?? SCAFFOLD_ROWS);
    const ran: string[] = [];

    for (const command of commands) {
      const sub = subcommandOf(command);
      // Workers load the pipelines when they start (the README says to restart npm start after the
      // scaffold): start one before the first command that needs it, after new-pipeline ran.
      if (!worker && !['new-pipeline', 'generate', 'sql', 'graph', 'runs', 'status'].includes(sub)) {
        worker = await startWorkerProcess({ name: 'readme-worker', queues: 'daily,backfill', env, logDir: tmp });
      }
      const shell = command.replace(/^npx conveyor\b/, `${JSON.stringify(process.execPath)} ${JSON.stringify(CONVEYOR_BIN)}`);
      const out = spawnSync('sh', ['-c', shell], { cwd: ROOT, env, encoding: 'utf8', timeout: 180_000 });
      const said = `$ ${command}\n${out.stdout}${out.stderr}`;
      assert.equal(out.status, 0, `exit ${out.status}${out.signal ? ` (${out.signal})` : ''}:\n${said}`);

      if (sub === 'new-pipeline') {
        assert.ok(fs.existsSync(path.join(pipelinesDir, name, 'definition.ts')), `new-pipeline wrote ${name} into the first CONVEYOR_PIPELINES_DIR folder:\n${said}`);
        assert.ok(!fs.existsSync(path.join(otherPipelinesDir, name)), 'nothing in the second folder');
        assert.ok(!fs.existsSync(path.join(ROOT, 'pipelines', name)), "nothing in Conveyor's checkout");
      }
      if (sub === 'generate') assert.match(out.stderr, new RegExp(`generated \\d+ partition\\(s\\) of ${name}, \\d+ rows`), said);
      if (sub === 'partition') {
        const key = words(command)[4]!;
        assert.match(out.stdout, new RegExp(`^✔ ${name}\\.${key} succeeded\\n {2}rows in ${rowsPerPartition}, published ${rowsPerPartition}, rejected 0`, 'm'), said);
        ran.push(key);
      }
      if (sub === 'sql') {
        assert.ok(ran.length > 0, 'the query comes after a partition ran');
        const lines = out.stdout.split('\n').map(cellsOf);
        for (const key of ran) {
          assert.ok(
            lines.some((cells) => cells.includes(key) && cells.includes(String(rowsPerPartition))),
            `the query shows partition ${key} with the ${rowsPerPartition} rows the generator landed:\n${said}`,
          );
        }
      }
    }
    assert.ok(fs.existsSync(path.join(tmp, 'data', 'lake', 'showroom', name)), 'the partition was published into the temporary lake');
  });
});
