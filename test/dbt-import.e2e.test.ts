/**
 * `npx conveyor dbt-import`: a dbt project's models become pipelines (test/fixtures/dbt/warehouse, a
 * staging model over the landed files and a model that refs it), the upstream one's partition then the
 * downstream one's run end to end by a real worker and dbt, each model built alone with its own tests
 * over its input (the ref read from the upstream pipeline's partition). Run again: nothing changes, then
 * what the project changed is said and written; a folder it did not make is never touched; a model it
 * cannot make a pipeline of is refused in one line naming what to fix.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { START_HOOK_OPTIONS, STOP_HOOK_OPTIONS } from './helpers/bounds';
import { runCli } from './helpers/cli';
import { startWorkerFleet, startWorkerProcess, type WorkerFleet } from './helpers/worker-process';

const FIXTURE = path.join(__dirname, 'fixtures', 'dbt', 'warehouse');
let work: string;
let project: string;
let pipelinesDir: string;
let fleet: WorkerFleet;
let env: NodeJS.ProcessEnv;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-dbt-import-'));
  project = path.join(work, 'warehouse');
  fs.cpSync(FIXTURE, project, { recursive: true });
  pipelinesDir = path.join(work, 'pipelines');
  fs.mkdirSync(pipelinesDir);
  fleet = await startWorkerFleet('dbt-import', { CONVEYOR_PIPELINES_DIR: pipelinesDir });
  env = { ...fleet.workerEnv, CONVEYOR_TASK_QUEUE: `test-daily-${randomUUID()}`, CONVEYOR_BACKFILL_TASK_QUEUE: `test-backfill-${randomUUID()}` };
}, START_HOOK_OPTIONS);
after(async () => {
  await fleet?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}, STOP_HOOK_OPTIONS);

const cli = (command: string, args: string[]) => runCli(command, args, env);

describe('a dbt project made pipelines (npx conveyor dbt-import)', () => {
  it('makes one pipeline per model, its ref an upstream pipeline; both run end to end, each model built alone and tested', { timeout: 400_000 }, async () => {
    const made = cli('dbt-import', [project]);
    assert.equal(made.status, 0, made.all);
    assert.match(made.stdout, /^created {3}daily_payments \(.*\)\ncreated {3}stg_payments \(.*\)\n/);
    const definition = fs.readFileSync(path.join(pipelinesDir, 'daily_payments', 'definition.ts'), 'utf8');
    assert.match(definition, /source: \{ kind: 'upstream', inputs: \[\{ pipeline: 'stg_payments', mapping: 'same' \}\] \}/);
    assert.match(definition, /owner: 'finance@example\.com'/);
    assert.match(definition, /\{ name: 'total', type: 'DECIMAL\(38,2\)' \}/);
    assert.match(definition, /uniqueKey: \['currency'\]/);
    assert.match(fs.readFileSync(path.join(pipelinesDir, 'stg_payments', 'definition.ts'), 'utf8'), /source: \{ kind: 'files', format: 'csv', .*columns: \['payment_id', 'currency', 'amount'\]/);

    const graph = cli('graph', []);
    assert.match(graph.stdout, /^stg_payments {2}\(Every payment of the day, typed\.\)\n {2}owner: {6}payments@example\.com\n(.*\n)* {2}downstream: daily_payments$/m);

    const landed = path.join(fleet.config.landingDir, 'stg_payments', 'date=2024-03-01');
    fs.mkdirSync(landed, { recursive: true });
    fs.writeFileSync(path.join(landed, 'part-0000.csv'), 'payment_id,currency,amount\np1,EUR,10.50\np2,EUR,4.25\np3,USD,7.00\n');
    fs.writeFileSync(path.join(landed, '_SUCCESS'), '');
    await startWorkerProcess({ name: 'dbt-import-worker', queues: 'daily', env, logDir: work });
    const staged = cli('partition', ['stg_payments', '2024-03-01']);
    assert.equal(staged.status, 0, staged.all);
    assert.match(staged.stdout, /^✔ stg_payments\.2024-03-01 succeeded\n {2}rows in 3, published 3, rejected 0/m);
    const daily = cli('partition', ['daily_payments', '2024-03-01']);
    assert.equal(daily.status, 0, daily.all);
    assert.match(daily.stdout, /^✔ daily_payments\.2024-03-01 succeeded\n {2}rows in 2, published 2, rejected 0/m);
    const rows = cli('sql', ["SELECT currency, payments, total::VARCHAR AS total FROM showroom.daily_payments WHERE partition_key = '2024-03-01' ORDER BY currency", '--csv']);
    assert.equal(rows.status, 0, rows.all);
    assert.equal(rows.stdout.trim(), 'currency,payments,total\nEUR,2,14.75\nUSD,1,7.00');
    // Its own tests only, over its input: the staging model's tests ran with the staging pipeline.
    const runs = cli('runs', ['daily_payments', '--json']);
    const checks = (JSON.parse(runs.stdout) as { checks: { name: string }[] }[])[0]!.checks.map((c) => c.name).sort();
    assert.deepEqual(checks, ['dbt_accepted_values_daily_payments_currency__EUR__USD__GBP', 'dbt_unique_daily_payments_currency']);
  });

  it('run again: unchanged; after the project changes, says what changed and writes it', { timeout: 120_000 }, () => {
    const again = cli('dbt-import', [project]);
    assert.equal(again.status, 0, again.all);
    assert.match(again.stdout, /^unchanged daily_payments\nunchanged stg_payments\n/);
    const schema = path.join(project, 'models', 'schema.yml');
    fs.writeFileSync(schema, fs.readFileSync(schema, 'utf8').replace('Payments and their total per currency of one day.', 'Payments per currency, daily.').replace('owner: finance@example.com', 'owner: treasury@example.com'));
    const changed = cli('dbt-import', [project]);
    assert.equal(changed.status, 0, changed.all);
    assert.match(changed.stdout, /^updated {3}daily_payments: description, owner\nunchanged stg_payments\n/);
    assert.match(fs.readFileSync(path.join(pipelinesDir, 'daily_payments', 'definition.ts'), 'utf8'), /owner: 'treasury@example\.com'/);
  });

  it('refuses, in one line, what it cannot make a pipeline of, and a folder it did not make', { timeout: 120_000 }, () => {
    const partial = cli('dbt-import', [project, '--select', 'daily_payments', '--dry-run']);
    assert.equal(partial.status, 2, partial.all);
    assert.equal(partial.stderr.trim(), "conveyor dbt-import: model 'daily_payments' refs stg_payments, not imported: select it too (each ref is an upstream pipeline)");
    const unknown = cli('dbt-import', [project, '--select', 'weekly']);
    assert.equal(unknown.stderr.trim(), `conveyor dbt-import: the dbt project ${project} has no model 'weekly': it has daily_payments, stg_payments`);
    const notDbt = cli('dbt-import', [work]);
    assert.equal(notDbt.stderr.trim(), `conveyor dbt-import: ${work} is not a dbt project: no dbt_project.yml in ${work}`);
    const theirs = path.join(pipelinesDir, 'stg_payments', 'definition.ts');
    fs.writeFileSync(theirs, fs.readFileSync(theirs, 'utf8').replace(/^\/\/ Generated by.*\n/, '// Ours now.\n'));
    const refused = cli('dbt-import', [project]);
    assert.equal(refused.stderr.trim(), `conveyor dbt-import: ${theirs} was not made by dbt-import: remove it or leave model 'stg_payments' out (--select)`);
    assert.match(fs.readFileSync(theirs, 'utf8'), /^\/\/ Ours now\./, 'left as it was');
  });
});
