/**
 * Each kind of transform on the same work, in one run: one partition of landed orders (`--kinds-rows`:
 * a small one, a large one) made into per-currency totals by DuckDB SQL, a dbt model and a Python
 * function (Polars), through Conveyor (a partition run: its readiness check, ingest, the transform,
 * publish and the run record) and bare by the tool itself on the same files (DuckDB's COPY; `dbt
 * build` over a database holding the same view; the function called in a fresh Python). Conveyor /
 * bare per kind, and what a partition costs beyond the tool. A folder lake only.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startPartitionRun, waitForPartitionRun } from '../../client/partition-runs';
import { sqlString } from '../../common/sql';
import { withDuckDB } from '../../lake/duckdb';
import { generateOrdersPartition } from '../../pipelines/orders/generate';
import { pythonEnvBin } from '../../platform/python-env';
import { ensurePythonEnv } from '../../scripts/python-env';
import { partitionLandingDir } from '../../sources/files';
import { dbtEnv, dbtExecutable, dbtProfile } from '../../transforms/dbt-tool';
import { PYTHON_WORKER, PYTHON_WORKER_SETTINGS, pythonWorkerSettings } from '../../transforms/python-worker';
import type { BenchContext } from '../context';
import { say, SectionFigures, type Figure } from '../figures';
import { BENCH_PYTHON_TASK_QUEUE, KIND_PIPELINES, KINDS_FOLDER, TOTALS_SQL } from '../pipelines';
import { trackPid } from '../processes';

type Kind = 'sql' | 'dbt' | 'python';
const KINDS: Kind[] = ['sql', 'dbt', 'python'];
const pipelineOf = (kind: Kind) => KIND_PIPELINES.find((p) => p.name === `bench_totals_${kind}`)!;

export async function measureKinds(ctx: BenchContext): Promise<Figure[]> {
  const out = new SectionFigures(ctx.kind, 'kinds');
  if (ctx.s3) {
    say('kinds: skipped with the lake in S3');
    return out.figures;
  }
  ensurePythonEnv();
  const python = await startPythonWorker(ctx);
  try {
    for (const [i, rows] of ctx.options.kindsRows.entries()) {
      say(`kinds: one partition of ${rows} orders by SQL, a dbt model and a Python function, through Conveyor and bare`);
      const conveyor: Record<Kind, number[]> = { sql: [], dbt: [], python: [] };
      const bare: Record<Kind, number[]> = { sql: [], dbt: [], python: [] };
      for (let r = 0; r < ctx.options.runs + 1; r += 1) {
        const day = `2021-${String(i + 1).padStart(2, '0')}-${String(r + 1).padStart(2, '0')}`;
        const files = land(ctx, day, rows);
        // Each run starts with the next kind, so no kind always runs first on a noisy machine.
        for (const kind of [...KINDS.slice(r % 3), ...KINDS.slice(0, r % 3)]) {
          const [viaConveyor, bareMs] = [await throughConveyor(ctx, kind, day), await bareRun(ctx, kind, files, `${day}.${r}`)];
          if (r === 0) continue; // the warm-up: first imports, the Python worker's first process
          conveyor[kind].push(viaConveyor);
          bare[kind].push(bareMs);
        }
      }
      for (const kind of KINDS) {
        out.record(`${kind}, ${rows} rows: through Conveyor (a partition run)`, 'ms', conveyor[kind]);
        out.record(`${kind}, ${rows} rows: bare (the tool alone, same files)`, 'ms', bare[kind]);
        out.record(`${kind}, ${rows} rows: Conveyor / bare`, '%', conveyor[kind].map((c, j) => (100 * c) / bare[kind][j]!));
        out.record(`${kind}, ${rows} rows: Conveyor's cost beyond the tool`, 'ms', conveyor[kind].map((c, j) => c - bare[kind][j]!));
      }
    }
  } finally {
    python.kill('SIGTERM');
  }
  return out.figures;
}

/** Conveyor's Python worker for the bench's `python` pipeline, on its queue; resolved once it polls. */
async function startPythonWorker(ctx: BenchContext) {
  const settings = pythonWorkerSettings({ ...ctx.config, pythonTaskQueue: BENCH_PYTHON_TASK_QUEUE }, [KINDS_FOLDER], 5);
  const child = spawn(PYTHON_WORKER, [], { env: { ...ctx.env, [PYTHON_WORKER_SETTINGS]: settings }, stdio: ['ignore', 'pipe', 'inherit'] });
  trackPid(child.pid);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('python worker started') && resolve());
    child.once('exit', (code) => reject(new Error(`the Python worker exited (${code})`)));
  });
  return child;
}

/** A day of orders landed for each kind's pipeline (the same files); the files. */
function land(ctx: BenchContext, day: string, rows: number): string[] {
  const [first, ...others] = KINDS.map(pipelineOf);
  const landed = generateOrdersPartition({ landingDir: ctx.config.landingDir, partition: day, rows, files: 4 });
  const source = partitionLandingDir(ctx.config.landingDir, first!, day);
  if (landed.dir !== source) fs.cpSync(landed.dir, source, { recursive: true });
  for (const p of others) fs.cpSync(source, partitionLandingDir(ctx.config.landingDir, p, day), { recursive: true });
  return fs.readdirSync(source).filter((n) => n.endsWith('.csv')).sort().map((n) => path.join(source, n));
}

/** A partition run of the kind's pipeline, start to finish (ms). */
async function throughConveyor(ctx: BenchContext, kind: Kind, day: string): Promise<number> {
  const started = performance.now();
  const run = await startPartitionRun(ctx.client, { pipeline: pipelineOf(kind).name, partition: day, runKind: 'manual' }, { config: ctx.config, registry: ctx.registry });
  const outcome = await waitForPartitionRun(run);
  if (outcome.status !== 'succeeded') throw new Error(`bench_totals_${kind}.${day}: ${JSON.stringify(outcome)}`);
  return performance.now() - started;
}

/** The same totals by the tool alone over the same files, written as Parquet (ms). */
async function bareRun(ctx: BenchContext, kind: Kind, files: string[], tag: string): Promise<number> {
  const work = fs.mkdtempSync(path.join(ctx.tmp, `bare-${kind}-`));
  const list = `[${files.map(sqlString).join(', ')}]`;
  const raw = `read_csv(${list}, header = true, all_varchar = true, hive_partitioning = false)`;
  const started = performance.now();
  if (kind === 'sql') {
    await withDuckDB((db) => db.run(`COPY (${TOTALS_SQL.replace('FROM raw', `FROM ${raw}`)}) TO ${sqlString(path.join(work, 'out.parquet'))} (FORMAT parquet)`));
  } else if (kind === 'dbt') {
    // As a user runs dbt by hand on a partition: a database with the source's view, a profile, dbt build, the table out.
    const database = path.join(work, 'bare.duckdb');
    await withDuckDB(async (db) => {
      await db.run(`ATTACH ${sqlString(database)} AS bare`);
      await db.run('CREATE SCHEMA bare.conveyor');
      await db.run(`CREATE VIEW bare.conveyor.raw AS SELECT * FROM ${raw}`);
      await db.run('DETACH bare');
    });
    fs.writeFileSync(path.join(work, 'profiles.yml'), dbtProfile('bench_kinds', database));
    const args = ['build', '--project-dir', KINDS_FOLDER, '--profiles-dir', work, '--target-path', path.join(work, 'target'), '--log-path', path.join(work, 'logs'), '--vars', JSON.stringify({ conveyor_partition: tag })];
    const done = spawnSync(dbtExecutable() ?? 'dbt', args, { env: dbtEnv(), encoding: 'utf8' });
    if (done.status !== 0) throw new Error(`bare dbt build failed: ${done.stdout.slice(-500)}`);
    await withDuckDB(async (db) => {
      await db.run(`ATTACH ${sqlString(database)} AS bare (READ_ONLY)`);
      await db.run(`COPY bare.main.bench_totals TO ${sqlString(path.join(work, 'out.parquet'))} (FORMAT parquet)`);
      await db.run('DETACH bare');
    });
  } else {
    const done = spawnSync(pythonEnvBin('python'), [path.join(KINDS_FOLDER, 'totals.py'), path.join(work, 'out.parquet'), ...files], { encoding: 'utf8' });
    if (done.status !== 0) throw new Error(`bare Python function failed: ${done.stderr.slice(-500)}`);
  }
  const ms = performance.now() - started;
  fs.rmSync(work, { recursive: true, force: true });
  return ms;
}
