/**
 * `npm run new-pipeline -- <name> --partitions hourly|daily|weekly|monthly|static --source csv|jsonl|parquet|upstream|function
 *                          [--keys eu,us] [--upstream <pipeline>] [--mapping same|covering|window:N]`
 *
 * Scaffolds a pipeline folder: its definition, its SQL, a sample-data generator (files sources) and a
 * test that passes as generated, so the next step is editing the SQL. A function source's definition
 * holds its source function: made-up rows per partition (no network, so its test runs offline) where
 * the call to the API goes. The folder goes under CONVEYOR_PIPELINES_DIR when it is set (the first
 * one), leaving Conveyor's checkout untouched, and under `pipelines/` otherwise. Conveyor finds it
 * there: no registry line to add.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { IDENTIFIER_PATTERN } from '../common/identifiers';
import { PARTITION_KINDS, partitionsSchema, PartitionScheme, type PartitionKind, type PartitionsDeclaration } from '../common/partitions';
import { DEFINITION_IMPORT } from '../definitions/definition-import';
import { BUILT_IN_PIPELINES_DIR, deploymentRegistry, pipelineRoots } from '../definitions/registry';
import { InputError } from '../common/errors';
import { FILE_FORMATS } from '../definitions/source-schema';
import { exitOnError } from './lib/cli-errors';

const SOURCES = [...FILE_FORMATS, 'upstream', 'function'] as const;
type SourceChoice = (typeof SOURCES)[number];

const PARTITIONS: Record<Exclude<PartitionKind, 'static'>, { first: string; at: string; sample: string }> = {
  hourly: { first: '2024-01-01T00', at: ':15', sample: '2024-03-01T05' },
  daily: { first: '2024-01-01', at: '02:00', sample: '2024-03-01' },
  weekly: { first: '2024-W01', at: 'mon 03:00', sample: '2024-W10' },
  monthly: { first: '2024-01', at: '1 04:00', sample: '2024-03' },
};

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function main(argv: string[]): void {
  const program = new Command('npm run new-pipeline --')
    .argument('<name>', 'the pipeline name: lower-case letters, digits and _, starting with a letter')
    .addOption(new Option('--partitions <kind>', 'how partitions are keyed').choices(PARTITION_KINDS).default('daily'))
    .addOption(new Option('--source <kind>', 'what it reads: landed files of a format, upstream pipelines, or rows from a function (an API)').choices(SOURCES).default('csv'))
    .option('--keys <list>', 'the keys of a static set, comma-separated (with --partitions static)', 'eu,us,apac')
    .option('--upstream <pipeline>', 'the pipeline it reads (with --source upstream)', 'orders')
    .option('--mapping <mapping>', 'same | covering | window:N (with --source upstream)', 'same')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const [name] = program.processedArgs as [string];
  const o = program.opts<{ partitions: PartitionKind; source: SourceChoice; keys: string; upstream: string; mapping: string }>();

  if (!IDENTIFIER_PATTERN.test(name)) throw new InputError(`invalid pipeline name '${name}': lower-case letters, digits and _, starting with a letter`);
  const registry = deploymentRegistry();
  if (registry.find(name)) throw new InputError(`pipeline '${name}' exists already (in ${registry.folderOf(name) ?? 'this deployment'})`);
  const external = pipelineRoots().find((root) => root !== BUILT_IN_PIPELINES_DIR);
  const folder = path.join(external ?? BUILT_IN_PIPELINES_DIR, name);
  if (fs.existsSync(folder)) throw new InputError(`${folder} exists already: choose another name or remove it`);

  const partitions: PartitionsDeclaration =
    o.partitions === 'static' ? { kind: 'static', keys: o.keys.split(',').map((k) => k.trim()) } : { kind: o.partitions, first: PARTITIONS[o.partitions].first, lag: 1 };
  const parsedPartitions = partitionsSchema.safeParse(partitions);
  if (!parsedPartitions.success) throw new InputError(`invalid --keys '${o.keys}': ${parsedPartitions.error.issues[0]!.message}`);
  const scheme = new PartitionScheme(parsedPartitions.data);
  const sample = o.partitions === 'static' ? scheme.first : PARTITIONS[o.partitions].sample;
  const at = o.partitions === 'static' ? '02:00' : PARTITIONS[o.partitions].at;
  const sdk = external ? DEFINITION_IMPORT : '../sdk';
  const exported = `${camel(name)}Pipeline`;

  const common: Common = { name, exported, sdk, partitions, at, sample };
  const files: Record<string, string> =
    o.source === 'upstream'
      ? upstreamFiles({ ...common, o, registry })
      : o.source === 'function'
        ? functionFiles({ ...common, isTime: scheme.isTime })
        : filesFiles({ ...common, format: o.source, isTime: scheme.isTime });
  fs.mkdirSync(folder, { recursive: true });
  for (const [file, body] of Object.entries(files)) fs.writeFileSync(path.join(folder, file), body);
  console.log(`created ${folder}/ (${Object.keys(files).join(', ')})`);
  const next =
    o.source === 'upstream'
      ? `edit ${path.join(folder, 'transform.sql')}; run its test with \`npm test\``
      : o.source === 'function'
        ? `edit its source function in ${path.join(folder, 'definition.ts')} (the call to your API), then ${path.join(folder, 'validate.sql')}; run its test with \`npm test\``
        : `edit ${path.join(folder, 'validate.sql')}; run its test with \`npm test\`; land sample data with \`npm run generate -- ${name} --from ${sample} --to ${sample}\``;
  console.log(`next: ${next}`);
}

/**
 * What every scaffolded definition starts with: its imports (and `extra.imports`), what comes before
 * the definition (`extra.before`), then its name, owner, partitions and schedule.
 */
function head(c: Common, freshnessObjectiveHours: number, extra: { imports?: string[]; before?: string } = {}): string {
  const partitions = JSON.stringify(c.partitions).replace(/"(\w+)":/g, '$1: ').replace(/"/g, "'").replace(/,/g, ', ').replace(/^\{(.*)\}$/, '{ $1 }');
  return `import path from 'node:path';
import { ${['definePipeline', 'loadSql', ...(extra.imports ?? [])].join(', ')} } from '${c.sdk}';

${extra.before ?? ''}export const ${c.exported} = definePipeline({
  name: '${c.name}',
  description: 'TODO: what ${c.name} holds, for whom.',
  owner: 'TODO-team@example.com',
  partitions: ${partitions},
  freshnessObjectiveHours: ${freshnessObjectiveHours},
  schedule: { at: '${c.at}', catchupWindowDays: 7, overlap: 'allow_all' },
`;
}

/** The end of a files or function scaffold's definition: records of id, amount and event_at, and its SQL. */
const RECORDS_TABLE = `  quality: { maxRejectedRatio: 0.01 },
  table: {
    columns: [
      { name: 'id', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(12,2)' },
      { name: 'event_at', type: 'TIMESTAMP' },
    ],
    uniqueKey: ['id'],
    validateSql: loadSql(path.join(__dirname, 'validate.sql')),
  },
  steps: { timeoutSeconds: 600, maxAttempts: 5 },
});
`;

/** The SQL of a files or function source: types `raw`'s id, amount and event_at, rejecting what does not fit. */
function validateSql(c: Common & { isTime: boolean }, record: string): string {
  const windowCheck = c.isTime
    ? `    WHEN event_at < $partition_start::TIMESTAMP OR event_at >= $partition_end::TIMESTAMP THEN 'event_at ' || landed_event_at || ' is outside partition ' || $partition\n`
    : '';
  return `-- ${c.name}: validate one partition's rows (the view \`raw\`: every column as text, one row per ${record}).
-- Yield every published column, source_file, record_no and reject_reason (NULL when the row is valid).
-- $partition is the key${c.isTime ? '; $partition_start and $partition_end (exclusive) its window, UTC' : ''}.
SELECT
  source_file, record_no, id, amount, event_at,
  CASE
    WHEN id IS NULL THEN 'id is empty'
    WHEN amount IS NULL THEN 'amount ' || coalesce('''' || landed_amount || '''', 'NULL') || ' is not a decimal number'
    WHEN event_at IS NULL THEN 'event_at ' || coalesce('''' || landed_event_at || '''', 'NULL') || ' is not a timestamp'
${windowCheck}  END AS reject_reason
FROM (
  SELECT source_file, record_no, nullif(trim(id), '') AS id,
         amount AS landed_amount, try_cast(amount AS DECIMAL(12,2)) AS amount,
         event_at AS landed_event_at, try_cast(event_at AS TIMESTAMP) AS event_at
  FROM raw
)
`;
}

interface Common {
  name: string;
  exported: string;
  sdk: string;
  partitions: PartitionsDeclaration;
  at: string;
  sample: string;
}

function filesFiles(c: Common & { format: (typeof FILE_FORMATS)[number]; isTime: boolean }): Record<string, string> {
  const ext = c.format === 'jsonl' ? 'jsonl' : c.format;
  return {
    'definition.ts': `/**
 * \`${c.name}\`: ${c.format} files landed per partition in \`landing/${c.name}/<segment>=<key>/\`, then a \`_SUCCESS\` marker.
 * Scaffolded by \`npm run new-pipeline\`: describe what it holds, then edit validate.sql.
 */
${head(c, 30)}  source: { kind: 'files', format: '${c.format}', filePattern: /^part-\\d+\\.${ext}$/, columns: ['id', 'amount', 'event_at'], marker: '_SUCCESS' },
  readiness: { pollIntervalSeconds: 60, timeoutSeconds: 6 * 3600 },
${RECORDS_TABLE}`,
    'validate.sql': validateSql(c, 'landed record'),
    'generate.ts': `/** Sample ${c.format} files for \`${c.name}\`, deterministic per partition (\`npm run generate -- ${c.name} ...\`). */
${c.format === 'parquet' ? "import path from 'node:path';\n" : ''}import { ${c.format === 'parquet' ? 'clearLanded, ' : ''}pad, partitionLandingDir, ${c.isTime ? 'partitionSchemeOf, ' : ''}prng, seedOf, ${c.format === 'parquet' ? 'withDuckDB, writeMarker' : 'writeLanded'}, type SampleGenerator } from '${c.sdk}';
import { ${c.exported} } from './definition';

export const generator: SampleGenerator = {
  faults: ['no-marker'],
  async generate({ landingDir, partition, rows = 100, faults = [] }) {
    const random = prng(seedOf(partition));
    // Inside the partition's window (a static key has none).
    const windowStart = ${c.isTime ? `partitionSchemeOf(${c.exported}).windowOf(partition).startMs` : `Date.parse('2024-03-01T00:00:00Z')`};
    const records = Array.from({ length: rows }, (_, i) => ({
      id: \`\${partition}-\${pad(i, 6)}\`,
      amount: (random() * 100).toFixed(2),
      event_at: new Date(windowStart + i * 1000).toISOString().replace('Z', ''),
    }));
    const dir = partitionLandingDir(landingDir, ${c.exported}, partition);
    const marker = faults.some((f) => f.kind === 'no-marker') ? undefined : '_SUCCESS';
${c.format === 'parquet'
  ? `    clearLanded(dir);
    const values = records.map((r) => \`('\${r.id}', '\${r.amount}', '\${r.event_at}')\`).join(', ');
    await withDuckDB((db) => db.run(\`COPY (SELECT * FROM (VALUES \${values}) AS t(id, amount, event_at)) TO '\${path.join(dir, 'part-0000.parquet')}' (FORMAT parquet)\`));
    if (marker) writeMarker(dir, marker);`
  : c.format === 'jsonl'
    ? `    writeLanded(dir, { 'part-0000.jsonl': records.map((r) => JSON.stringify(r)).join('\\n') + '\\n' }, marker);`
    : `    writeLanded(dir, { 'part-0000.csv': ['id,amount,event_at', ...records.map((r) => \`\${r.id},\${r.amount},\${r.event_at}\`)].join('\\n') + '\\n' }, marker);`}
    return { dir, rowsWritten: rows };
  },
};
`,
    [`${c.name}.test.ts`]: `/** \`${c.name}\`'s own tests: a sample partition from its generator validates through its source and SQL. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkPipelineSample } from '${c.sdk}';
import { ${c.exported} } from './definition';
import { generator } from './generate';

it('${c.name}: a sample partition validates with no rejects', async () => {
  const check = await checkPipelineSample(${c.exported}, { generator, partition: '${c.sample}' });
  assert.deepEqual(check, { valid: 100, rejected: 0, reasons: [], malformed: 0 });
});
`,
  };
}

function functionFiles(c: Common & { isTime: boolean }): Record<string, string> {
  const fn = `fetch${c.exported.replace(/^./, (ch) => ch.toUpperCase()).replace(/Pipeline$/, '')}`;
  const before = `/**
 * The partition's rows, objects keyed by the declared columns. TODO: call the API instead of making
 * rows up, e.g. \`const res = await fetch(url, { signal })\`; \`throw new HttpError(res.status, ...)\` when
 * it is not ok (429 and 5xx are retried, another 4xx fails the partition as code) and a
 * \`SourceDataError\` for a page that is not what it should be (both from '${c.sdk}').
 * Made-up rows here, the same for a partition every time, so its test runs offline.
 */
export const ${fn}: SourceFunction = async function* ${fn}({ partition, window, heartbeat }) {
  // Inside the partition's window (a static key has none).
  const windowStart = window?.start.getTime() ?? Date.parse('2024-03-01T00:00:00Z');
  for (let i = 0; i < 100; i += 1) {
    yield {
      id: \`\${partition}-\${String(i).padStart(6, '0')}\`,
      amount: ((i * 37) % 10_000) / 100,
      event_at: new Date(windowStart + i * 1000).toISOString().replace('Z', ''),
    };
  }
  heartbeat({ rows: 100 });
};

`;
  return {
    'definition.ts': `/**
 * \`${c.name}\`: rows from code (an HTTP API, a database query), per partition: its source function, below.
 * Ingest runs it as a heartbeating step and snapshots what it yields as JSON lines; validate.sql reads them as \`raw\`.
 * Scaffolded by \`npm run new-pipeline\`: describe what it holds, write the call to the API, then edit validate.sql.
 */
${head(c, 30, { imports: ['type SourceFunction'], before })}  source: { kind: 'function', rows: ${fn}, columns: ['id', 'amount', 'event_at'] },
  // A function source is always ready: its code is the readiness.
  readiness: { pollIntervalSeconds: 60, timeoutSeconds: 600 },
${RECORDS_TABLE}`,
    'validate.sql': validateSql(c, 'object its source function yielded'),
    [`${c.name}.test.ts`]: `/** \`${c.name}\`'s own tests: a sample partition's rows from its source function validate through its SQL. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkPipelineSample } from '${c.sdk}';
import { ${c.exported} } from './definition';

it('${c.name}: a sample partition from its source function validates with no rejects', async () => {
  const check = await checkPipelineSample(${c.exported}, { partition: '${c.sample}' });
  assert.deepEqual(check, { valid: 100, rejected: 0, reasons: [], malformed: 0 });
});
`,
  };
}

function upstreamFiles(c: Common & { o: { upstream: string; mapping: string }; registry: ReturnType<typeof deploymentRegistry> }): Record<string, string> {
  const upstream = c.registry.get(c.o.upstream);
  const window = /^window:(\d+)$/.exec(c.o.mapping);
  if (!['same', 'covering'].includes(c.o.mapping) && !window) throw new InputError(`invalid --mapping '${c.o.mapping}': same, covering or window:N`);
  const mapping = window ? `{ kind: 'window', partitions: ${window[1]} }` : `{ kind: '${c.o.mapping}' }`;
  const first = upstream.table.columns[0]!.name;
  return {
    'definition.ts': `/**
 * \`${c.name}\`: built from \`${c.o.upstream}\` (${c.o.mapping}), read by its SQL as the view \`${c.o.upstream}\`.
 * Scaffolded by \`npm run new-pipeline\`: describe what it holds, then edit transform.sql.
 */
${head(c, 32)}  source: { kind: 'upstream', inputs: [{ pipeline: '${c.o.upstream}', mapping: ${mapping} }] },
  readiness: { pollIntervalSeconds: 60, timeoutSeconds: 8 * 3600 },
  quality: { maxRejectedRatio: 0 },
  table: {
    columns: [
      { name: '${first}', type: '${upstream.table.columns[0]!.type}' },
      { name: 'row_count', type: 'BIGINT' },
    ],
    uniqueKey: ['${first}'],
    validateSql: loadSql(path.join(__dirname, 'transform.sql')),
  },
  steps: { timeoutSeconds: 600, maxAttempts: 5 },
});
`,
    'transform.sql': `-- ${c.name}: one row per ${first}, from the view \`${c.o.upstream}\` (the upstream partitions this partition reads).
-- Yield every published column, source_file, record_no and reject_reason (NULL: the upstream rows were validated there).
SELECT min(source_file) AS source_file, min(record_no) AS record_no, ${first}, count(*)::BIGINT AS row_count, NULL::VARCHAR AS reject_reason
FROM ${c.o.upstream}
GROUP BY ${first}
`,
    [`${c.name}.test.ts`]: `/** \`${c.name}\`'s own tests: its definition loads with its upstream, and its SQL runs over inputs shaped like the upstream's table. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkPipelineSample } from '${c.sdk}';
import { ${c.exported} } from './definition';

it('${c.name}: its SQL runs over the upstream table\\'s shape', async () => {
  assert.deepEqual(await checkPipelineSample(${c.exported}), { valid: 0, rejected: 0, reasons: [], malformed: 0 });
});
`,
  };
}

try {
  main(process.argv.slice(2));
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  exitOnError('conveyor new-pipeline')(err);
}
