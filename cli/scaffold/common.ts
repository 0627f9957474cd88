/**
 * What `conveyor new-pipeline` writes, shared by every source kind: the definition's head (name,
 * owner, partitions; everything with a default is left out) and the SQL of landed records.
 */
import type { PartitionKind, PartitionsDeclaration } from '../../common/partitions';
import { DEFINITION_IMPORT } from '../../definitions/definition-import';
import { commandScript } from './command';
import { dbtProject } from './dbt';
import { pythonFunction } from './python';
import { sparkJob } from './spark';

/** A sample partition of each time scheme, and the first partition a scaffold declares. */
export const SCHEME_SAMPLES: Record<Exclude<PartitionKind, 'static'>, { first: string; sample: string }> = {
  hourly: { first: '2024-01-01T00', sample: '2024-03-01T05' },
  daily: { first: '2024-01-01', sample: '2024-03-01' },
  weekly: { first: '2024-W01', sample: '2024-W10' },
  monthly: { first: '2024-01', sample: '2024-03' },
};

/** What every template is written from. */
export interface Scaffold {
  name: string;
  /** The definition's export, e.g. `teamEventsPipeline`. */
  exported: string;
  partitions: PartitionsDeclaration;
  /** A partition of the scheme its test and the next-step hint use. */
  sample: string;
  isTime: boolean;
  /** How it makes its rows: its SQL (`validate.sql`), a program or a Python function (`transform.py`), a PySpark job (`job.py`), or a dbt model (`models/`). */
  transform: 'sql' | 'command' | 'dbt' | 'python' | 'spark';
}

/** What a scaffold imports Conveyor through: `conveyor/pipeline`. */
export const SDK = DEFINITION_IMPORT;

/** A partitions declaration as a definition writes it: `{ kind: 'daily', first: '2024-01-01', lag: 1 }`. */
export function partitionsLiteral(declared: PartitionsDeclaration): string {
  return JSON.stringify(declared).replace(/"(\w+)":/g, '$1: ').replace(/"/g, "'").replace(/,/g, ', ').replace(/^\{(.*)\}$/, '{ $1 }');
}

/** The definition's start: imports, what comes before it (`before`), then name, description, owner and partitions. */
export function head(s: Scaffold, extra: { imports?: string[]; before?: string } = {}): string {
  const partitions = partitionsLiteral(s.partitions);
  const sql = s.transform === 'sql';
  return `${sql ? "import path from 'node:path';\n" : ''}import { ${['definePipeline', ...(sql ? ['loadSql'] : []), ...(extra.imports ?? [])].join(', ')} } from '${SDK}';

${extra.before ?? ''}export const ${s.exported} = definePipeline({
  name: '${s.name}',
  description: 'TODO: what ${s.name} holds, for whom.',
  owner: 'TODO-team@example.com',
  partitions: ${partitions},
`;
}

/** The end of a files or function scaffold's definition: records of id, amount and event_at, and how they are made. */
export function recordsTable(s: Scaffold): string {
  const transforms = {
    sql: "{ kind: 'sql', sql: loadSql(path.join(__dirname, 'validate.sql')) }",
    command: "{ kind: 'command', command: ['./transform.py'], output: 'csv' }",
    dbt: `{ kind: 'dbt', model: '${s.name}' }`,
    python: "{ kind: 'python', function: 'transform:rows' }",
    spark: "{ kind: 'spark', job: 'job:rows' }",
  };
  const transform = transforms[s.transform];
  return `  table: {
    columns: [
      { name: 'id', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(12,2)' },
      { name: 'event_at', type: 'TIMESTAMP' },
    ],
    uniqueKey: ['id'],
  },
  transform: ${transform},
});
`;
}

/** How a files or function scaffold makes its rows: `validate.sql`, `transform.py` (a program: cli/scaffold/command.ts; a function: cli/scaffold/python.ts), `job.py` (a PySpark job: cli/scaffold/spark.ts) or a dbt project (cli/scaffold/dbt.ts). */
export function recordsTransform(s: Scaffold, record: string): Record<string, string> {
  if (s.transform === 'dbt') return dbtProject(s);
  if (s.transform === 'python') return { 'transform.py': pythonFunction(s) };
  if (s.transform === 'spark') return { 'job.py': sparkJob(s) };
  return s.transform === 'sql' ? { 'validate.sql': validateSql(s, record) } : { 'transform.py': commandScript(s) };
}

/** The SQL of landed records (`raw`: every column as text): types id, amount and event_at, rejecting what does not fit. */
export function validateSql(s: Scaffold, record: string): string {
  const windowCheck = s.isTime
    ? `    WHEN event_at < $partition_start::TIMESTAMP OR event_at >= $partition_end::TIMESTAMP THEN 'event_at ' || landed_event_at || ' is outside partition ' || $partition\n`
    : '';
  return `-- ${s.name}: validate one partition's rows (the view \`raw\`: every column as text, one row per ${record}).
-- Yield every published column, source_file, record_no and reject_reason (NULL when the row is valid).
-- $partition is the key${s.isTime ? '; $partition_start and $partition_end (exclusive) its window, UTC' : ''}.
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

/** A scaffold's test file: one case that passes as generated. */
export function testFile(s: Scaffold, what: string, body: string, imports: string[] = []): string {
  return `/** \`${s.name}\`'s own tests: ${what}. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkPipelineSample } from '${SDK}';
import { ${s.exported} } from './definition';
${imports.join('\n')}${imports.length ? '\n' : ''}
${body}`;
}
