/**
 * `npm run contract [-- --check]`: the JSON Schemas of what services send and read
 * (docs/contract/*.schema.json), generated from the zod schemas the workflows and the client use.
 * `--check` writes nothing and exits 1 when a committed schema differs from what the code says
 * (a test runs it, so the documented contract cannot drift from the code).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { partitionFailureSchema, partitionRunResultSchema } from '../common/run-contract';
import { partitionRunInputSchema } from '../workflows/partition-input';

const DIR = path.resolve(__dirname, '..', 'docs', 'contract');

/** Each schema file and what it describes. */
export function contractSchemas(): Record<string, string> {
  const schema = (s: z.ZodType, title: string, io: 'input' | 'output') => `${JSON.stringify({ title, ...z.toJSONSchema(s, { io, unrepresentable: 'any' }) }, null, 2)}\n`;
  return {
    'partition-run-input.schema.json': schema(partitionRunInputSchema, 'partitionPipeline input', 'input'),
    'partition-run-result.schema.json': schema(partitionRunResultSchema, 'partitionPipeline result', 'output'),
    'partition-failure.schema.json': schema(partitionFailureSchema, 'partitionPipeline failure details', 'output'),
  };
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [name, text] of Object.entries(contractSchemas())) {
    const file = path.join(DIR, name);
    if (check) {
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) stale.push(name);
    } else {
      fs.mkdirSync(DIR, { recursive: true });
      fs.writeFileSync(file, text);
      console.error(`wrote docs/contract/${name}`);
    }
  }
  if (stale.length > 0) {
    console.error(`conveyor contract: docs/contract/${stale.join(', ')} differ from the code's schemas; run npm run contract`);
    process.exit(1);
  }
}
