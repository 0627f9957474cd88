/**
 * `npm run contract [-- --check]`: what services and readers outside Conveyor rely on, generated from
 * the zod schemas the workflows, the client and the lake use: the JSON Schemas of what services send
 * and read (docs/contract/*.schema.json), the run record's JSON Schema, and docs/lake.md's table of
 * `meta.partition_runs` (its generated block, from common/run-record.ts).
 * `--check` writes nothing and exits 1 when a committed file differs from what the code says
 * (a test runs it, so the documented contract cannot drift from the code).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { partitionFailureSchema, partitionRunResultSchema } from '../common/run-contract';
import { runRecordSchema } from '../common/run-record';
import { documentedColumns } from '../lake/tables';
import { partitionRunInputSchema } from '../workflows/partition-input';

const DOCS = path.resolve(__dirname, '..', 'docs');

/** Each generated file, by its path under docs/, and its text as the code says it should be. */
export function contractSchemas(): Record<string, string> {
  const schema = (s: z.ZodType, title: string, io: 'input' | 'output') => `${JSON.stringify({ title, ...z.toJSONSchema(s, { io, unrepresentable: 'any' }) }, null, 2)}\n`;
  return {
    'contract/partition-run-input.schema.json': schema(partitionRunInputSchema, 'partitionPipeline input', 'input'),
    'contract/partition-run-result.schema.json': schema(partitionRunResultSchema, 'partitionPipeline result', 'output'),
    'contract/partition-failure.schema.json': schema(partitionFailureSchema, 'partitionPipeline failure details', 'output'),
    'contract/run-record.schema.json': schema(runRecordSchema, 'run record (meta/partition_runs/<pipeline>/partition_key=<key>/<run id>.json, meta.partition_runs)', 'output'),
    'lake.md': withGeneratedBlock(fs.readFileSync(path.join(DOCS, 'lake.md'), 'utf8'), 'run-record', runRecordTable()),
  };
}

/** The columns of `meta.partition_runs`, with their DuckDB types and meanings, as a Markdown table. */
function runRecordTable(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = documentedColumns(runRecordSchema).map((c) => `| \`${c.name}\` | \`${cell(c.type)}\` | ${cell(c.description)} |`);
  return ['| column | type | meaning |', '| --- | --- | --- |', ...rows].join('\n') + '\n';
}

/** `doc` with its generated block `name` (the lines between its BEGIN and END markers) holding `content`. */
function withGeneratedBlock(doc: string, name: string, content: string): string {
  const begin = `<!-- BEGIN GENERATED ${name}`;
  const end = `<!-- END GENERATED ${name} -->`;
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`conveyor contract: no generated block '${name}' in the document (a line starting '${begin}', then '${end}')`);
  return doc.slice(0, doc.indexOf('\n', from) + 1) + content + doc.slice(to);
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [name, text] of Object.entries(contractSchemas())) {
    const file = path.join(DOCS, name);
    if (check) {
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) stale.push(`docs/${name}`);
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      console.error(`wrote docs/${name}`);
    }
  }
  if (stale.length > 0) {
    console.error(`conveyor contract: ${stale.join(', ')} differ from the code's schemas; run npm run contract`);
    process.exit(1);
  }
}
