/**
 * `conveyor new-pipeline <name> --partitions … --source …`: scaffold a pipeline folder (its
 * definition, its SQL, a sample-data generator for files, a test that passes as generated) under
 * CONVEYOR_PIPELINES_DIR when set (the first folder), else under `pipelines/`. Conveyor finds it there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../../common/errors';
import { IDENTIFIER_PATTERN } from '../../common/identifiers';
import { PARTITION_KINDS, partitionsSchema, PartitionScheme, type PartitionKind, type PartitionsDeclaration } from '../../common/partitions';
import { BUILT_IN_PIPELINES_DIR, pipelineRoots } from '../../definitions/registry';
import { FILE_FORMATS } from '../../definitions/source-schema';
import type { Context } from '../context';
import { examples } from '../output';
import { SCHEME_SAMPLES, type Scaffold } from '../scaffold/common';
import { filesScaffold } from '../scaffold/files';
import { functionScaffold } from '../scaffold/function';
import { upstreamScaffold } from '../scaffold/upstream';

const SOURCES = [...FILE_FORMATS, 'upstream', 'function'] as const;
type SourceChoice = (typeof SOURCES)[number];
const TRANSFORMS = ['sql', 'command', 'dbt', 'python', 'spark'] as const;
interface Options { partitions: PartitionKind; source: SourceChoice; transform: (typeof TRANSFORMS)[number]; keys: string; upstream: string; mapping: string }

export function register(program: Command, ctx: Context): void {
  program
    .command('new-pipeline')
    .summary("scaffold a pipeline folder")
    .description('Scaffold a pipeline folder: definition, SQL, a sample-data generator (files) and a test that passes as generated.')
    .argument('<name>', 'the pipeline name: lower-case letters, digits and _, starting with a letter')
    .addOption(new Option('--partitions <kind>', 'how partitions are keyed').choices(PARTITION_KINDS).default('daily'))
    .addOption(new Option('--source <kind>', 'what it reads: landed files of a format, upstream pipelines, or rows from a function (an API)').choices(SOURCES).default('csv'))
    .addOption(new Option('--transform <kind>', 'how it makes its rows: DuckDB SQL, a program of its own (a Python script to start from), a dbt model, a Python function (Polars), or a PySpark job').choices(TRANSFORMS).default('sql'))
    .option('--keys <list>', 'the keys of a static set, comma-separated (with --partitions static)', 'eu,us,apac')
    .option('--upstream <pipeline>', 'the pipeline it reads (with --source upstream)', 'orders')
    .option('--mapping <mapping>', 'same | covering | window:N (with --source upstream)', 'same')
    .addHelpText('after', examples(
      'npx conveyor new-pipeline team_events --partitions hourly --source jsonl',
      'npx conveyor new-pipeline weekly_totals --partitions weekly --source upstream --upstream orders --mapping covering',
      'npx conveyor new-pipeline shop_returns --source csv --transform command',
      'npx conveyor new-pipeline shop_refunds --source csv --transform dbt',
      'npx conveyor new-pipeline shop_rates --source jsonl --transform python',
      'npx conveyor new-pipeline shop_sessions --source parquet --transform spark',
    ))
    .action((name: string, o: Options) => {
      if (!IDENTIFIER_PATTERN.test(name)) throw new InputError(`invalid pipeline name '${name}': lower-case letters, digits and _, starting with a letter`);
      const registry = ctx.registry;
      if (registry.find(name)) throw new InputError(`pipeline '${name}' exists already (in ${registry.folderOf(name) ?? 'this deployment'})`);
      const folder = path.join(pipelineRoots().find((root) => root !== BUILT_IN_PIPELINES_DIR) ?? BUILT_IN_PIPELINES_DIR, name);
      if (fs.existsSync(folder)) throw new InputError(`${folder} exists already: choose another name or remove it`);
      if (o.transform === 'command' && (o.source === 'parquet' || o.source === 'upstream')) {
        throw new InputError(`--transform command scaffolds a Python script that reads CSV or JSON lines: use it with --source csv, jsonl or function, not ${o.source}`);
      }
      if ((o.transform === 'dbt' || o.transform === 'python' || o.transform === 'spark') && o.source === 'upstream') {
        throw new InputError(`--transform ${o.transform} scaffolds ${{ dbt: 'a model', python: 'a function', spark: 'a job' }[o.transform]} over landed records: use it with --source csv, jsonl, parquet or function, not upstream`);
      }
      const scaffold = scaffoldOf(name, o);
      const files =
        o.source === 'upstream' ? upstreamScaffold(scaffold, registry.get(o.upstream), o.mapping) : o.source === 'function' ? functionScaffold(scaffold) : filesScaffold(scaffold, o.source);
      fs.mkdirSync(folder, { recursive: true });
      for (const [file, body] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
        fs.writeFileSync(path.join(folder, file), body, { mode: o.transform === 'command' && file === 'transform.py' ? 0o755 : 0o644 });
      }
      console.log(`created ${folder}/ (${Object.keys(files).join(', ')})`);
      console.log(`next: ${nextStep(name, folder, o, scaffold.sample)}`);
    });
}

function scaffoldOf(name: string, o: Options): Scaffold {
  const declared: PartitionsDeclaration =
    o.partitions === 'static' ? { kind: 'static', keys: o.keys.split(',').map((k) => k.trim()) } : { kind: o.partitions, first: SCHEME_SAMPLES[o.partitions].first, lag: 1 };
  const parsed = partitionsSchema.safeParse(declared);
  if (!parsed.success) throw new InputError(`invalid --keys '${o.keys}': ${parsed.error.issues[0]!.message}`);
  const scheme = new PartitionScheme(parsed.data);
  const exported = `${name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())}Pipeline`;
  const sample = o.partitions === 'static' ? scheme.first : SCHEME_SAMPLES[o.partitions].sample;
  return { name, exported, partitions: declared, sample, isTime: scheme.isTime, transform: o.transform };
}

function nextStep(name: string, folder: string, o: Options, sample: string): string {
  if (o.source === 'upstream') return `edit ${path.join(folder, 'transform.sql')}; run its test with \`npm test\``;
  const rows = path.join(folder, { sql: 'validate.sql', command: 'transform.py', dbt: `models/${name}.sql`, python: 'transform.py', spark: 'job.py' }[o.transform]);
  if (o.source === 'function') return `edit its source function in ${path.join(folder, 'definition.ts')} (the call to your API), then ${rows}; run its test with \`npm test\``;
  return `edit ${rows}; run its test with \`npm test\`; land sample data with \`npx conveyor generate ${name} --from ${sample} --to ${sample}\``;
}
