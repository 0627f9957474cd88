/**
 * `conveyor dbt-import <project>`: a dbt project's models as pipelines, one folder each under
 * CONVEYOR_PIPELINES_DIR (the first folder; else `pipelines/`), from the manifest `dbt parse` writes
 * (cli/dbt-import/plan.ts says what becomes what). Run again after the project changes: it replaces the
 * definitions it made and says what changed; it never touches a folder it did not make.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../../common/errors';
import { PARTITION_KINDS, partitionsSchema, type PartitionKind } from '../../common/partitions';
import { BUILT_IN_PIPELINES_DIR, pipelineRoots } from '../../definitions/registry';
import { dbtEnv, dbtExecutable, dbtProfile } from '../../transforms/dbt-tool';
import { changesOf, GENERATED_MARK, planImport, type DbtManifest } from '../dbt-import/plan';
import type { Context } from '../context';
import { examples } from '../output';
import { partitionsLiteral, SCHEME_SAMPLES } from '../scaffold/common';

interface Options { select?: string; partitions: PartitionKind; first?: string; keys: string; format: 'csv' | 'jsonl' | 'parquet'; dryRun?: boolean }

export function register(program: Command, ctx: Context): void {
  program
    .command('dbt-import')
    .summary("make a dbt project's models pipelines")
    .description("Make each model of a dbt project a pipeline (its ref()s upstream pipelines, its tests its checks), from the project's manifest; run again after the project changes.")
    .argument('<project>', "the dbt project's folder (its dbt_project.yml)")
    .option('--select <models>', 'the models to import, comma-separated (default: every model of the project)')
    .addOption(new Option('--partitions <kind>', 'how every imported pipeline is partitioned').choices(PARTITION_KINDS).default('daily'))
    .option('--first <key>', 'the first partition (default: the start of 2024 in the scheme)')
    .option('--keys <list>', 'the keys of a static set, comma-separated (with --partitions static)', 'eu,us,apac')
    .addOption(new Option('--format <format>', "the landed files' format, for models that read source('conveyor', 'raw')").choices(['csv', 'jsonl', 'parquet']).default('csv'))
    .option('--dry-run', 'say what would be created or changed, write nothing')
    .addHelpText('after', examples('npx conveyor dbt-import ../analytics', 'npx conveyor dbt-import ../analytics --select stg_orders,daily_orders --partitions hourly --format jsonl'))
    .action((project: string, o: Options) => {
      const projectDir = path.resolve(project);
      if (!fs.existsSync(path.join(projectDir, 'dbt_project.yml'))) throw new InputError(`${project} is not a dbt project: no dbt_project.yml in ${projectDir}`);
      const declared = o.partitions === 'static' ? { kind: 'static', keys: o.keys.split(',').map((k) => k.trim()) } : { kind: o.partitions, first: o.first ?? SCHEME_SAMPLES[o.partitions].first, lag: 1 };
      const parsed = partitionsSchema.safeParse(declared);
      if (!parsed.success) throw new InputError(`invalid ${o.partitions === 'static' ? `--keys '${o.keys}'` : `--first '${o.first}'`}: ${parsed.error.issues[0]!.message}`);
      const root = pipelineRoots().find((r) => r !== BUILT_IN_PIPELINES_DIR) ?? BUILT_IN_PIPELINES_DIR;
      const manifest = parseProject(projectDir, project);
      const select = o.select?.split(',').map((m) => m.trim()).filter(Boolean);
      const partitions = partitionsLiteral(parsed.data);
      // Every definition sits one folder below the root: the project is named from there.
      const planned = planImport(manifest, { select, partitions, format: o.format, projectFromPipeline: path.relative(path.join(root, 'x'), projectDir), projectLabel: project });
      const writes: [string, string][] = [];
      for (const [model, text] of planned) {
        const file = path.join(root, model, 'definition.ts');
        const elsewhere = ctx.registry.find(model) && ctx.registry.folderOf(model) !== path.dirname(file);
        if (elsewhere) throw new InputError(`model '${model}' would be pipeline '${model}', which exists already (in ${ctx.registry.folderOf(model)}): leave it out (--select)`);
        const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
        if (before === undefined && fs.existsSync(path.dirname(file))) throw new InputError(`${path.dirname(file)} exists and holds no definition: remove it or leave model '${model}' out (--select)`);
        if (before !== undefined && !before.startsWith(GENERATED_MARK)) throw new InputError(`${file} was not made by dbt-import: remove it or leave model '${model}' out (--select)`);
        if (before === text) console.log(`unchanged ${model}`);
        else if (before === undefined) console.log(`created   ${model} (${path.dirname(file)})`);
        else console.log(`updated   ${model}: ${changesOf(before, text).join(', ') || 'its header'}`);
        if (before !== text) writes.push([file, text]);
      }
      if (o.dryRun) return console.log('(dry run: nothing written)');
      for (const [file, text] of writes) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
      }
      console.log(`next: npx conveyor graph; land a partition of the models that read source('conveyor', 'raw') and run it with npx conveyor partition`);
    });
}

/** The project's manifest, from `dbt parse` with a profile of Conveyor's (nothing written into the project). */
function parseProject(projectDir: string, label: string): DbtManifest {
  const dbt = dbtExecutable();
  if (!dbt) throw new InputError('dbt is not installed: run `npm run python-env` (dbt-core and dbt-duckdb into .tools/python), or set CONVEYOR_DBT to a dbt executable');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-dbt-import-'));
  try {
    fs.writeFileSync(path.join(work, 'profiles.yml'), dbtProfile('conveyor', path.join(work, 'parse.duckdb')));
    const args = ['parse', '--project-dir', projectDir, '--profiles-dir', work, '--profile', 'conveyor', '--target', 'run', '--target-path', path.join(work, 'target'), '--log-path', path.join(work, 'logs')];
    const done = spawnSync(dbt, args, { cwd: projectDir, env: dbtEnv(), encoding: 'utf8', timeout: 300_000 });
    const manifest = path.join(work, 'target', 'manifest.json');
    if (done.status !== 0 || !fs.existsSync(manifest)) {
      const said = `${done.stdout ?? ''}\n${done.stderr ?? ''}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^\d\d:\d\d:\d\d\s+(Running with|Registered adapter|Unable to do partial)/.test(l));
      throw new InputError(`dbt parse of ${label} failed: ${said.slice(-2).join(' ') || done.error?.message || `exit ${done.status}`}`);
    }
    return JSON.parse(fs.readFileSync(manifest, 'utf8')) as DbtManifest;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
