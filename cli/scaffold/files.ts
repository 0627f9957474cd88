/** `conveyor new-pipeline --source csv|jsonl|parquet`: landed files, a generator for them, and a test. */
import { head, recordsTable, recordsTransform, SDK, testFile, type Scaffold } from './common';

export type FileFormat = 'csv' | 'jsonl' | 'parquet';

export function filesScaffold(s: Scaffold, format: FileFormat): Record<string, string> {
  const ext = format;
  return {
    'definition.ts': `/**
 * \`${s.name}\`: ${format} files landed per partition in \`landing/${s.name}/<segment>=<key>/\`, then a \`_SUCCESS\` marker.
 * Scaffolded by \`conveyor new-pipeline\`: describe what it holds, then edit validate.sql.
 */
${head(s)}  source: { kind: 'files', format: '${format}', filePattern: /^part-\\d+\\.${ext}$/, columns: ['id', 'amount', 'event_at'], marker: '_SUCCESS' },
${recordsTable(s)}`,
    ...recordsTransform(s, 'landed record'),
    'generate.ts': generatorFile(s, format),
    [`${s.name}.test.ts`]: testFile(
      s,
      'a sample partition from its generator validates through its source and SQL',
      `it('${s.name}: a sample partition validates with no rejects', async () => {
  const check = await checkPipelineSample(${s.exported}, { generator, partition: '${s.sample}' });
  assert.deepEqual(check, { valid: 100, rejected: 0, reasons: [], malformed: 0 });
});
`,
      ["import { generator } from './generate';"],
    ),
  };
}

function generatorFile(s: Scaffold, format: FileFormat): string {
  const helpers = [format === 'parquet' ? 'clearLanded' : '', 'pad', 'partitionLandingDir', s.isTime ? 'partitionSchemeOf' : '', 'prng', 'seedOf', format === 'parquet' ? 'withDuckDB, writeMarker' : 'writeLanded', 'type SampleGenerator'];
  const write =
    format === 'parquet'
      ? `    clearLanded(dir);
    const values = records.map((r) => \`('\${r.id}', '\${r.amount}', '\${r.event_at}')\`).join(', ');
    await withDuckDB((db) => db.run(\`COPY (SELECT * FROM (VALUES \${values}) AS t(id, amount, event_at)) TO '\${path.join(dir, 'part-0000.parquet')}' (FORMAT parquet)\`));
    if (marker) writeMarker(dir, marker);`
      : format === 'jsonl'
        ? `    writeLanded(dir, { 'part-0000.jsonl': records.map((r) => JSON.stringify(r)).join('\\n') + '\\n' }, marker);`
        : `    writeLanded(dir, { 'part-0000.csv': ['id,amount,event_at', ...records.map((r) => \`\${r.id},\${r.amount},\${r.event_at}\`)].join('\\n') + '\\n' }, marker);`;
  return `/** Sample ${format} files for \`${s.name}\`, deterministic per partition (\`npx conveyor generate ${s.name} ...\`). */
${format === 'parquet' ? "import path from 'node:path';\n" : ''}import { ${helpers.filter(Boolean).join(', ')} } from '${SDK}';
import { ${s.exported} } from './definition';

export const generator: SampleGenerator = {
  faults: ['no-marker'],
  async generate({ landingDir, partition, rows = 100, faults = [] }) {
    const random = prng(seedOf(partition));
    // Inside the partition's window (a static key has none).
    const windowStart = ${s.isTime ? `partitionSchemeOf(${s.exported}).windowOf(partition).startMs` : `Date.parse('2024-03-01T00:00:00Z')`};
    const records = Array.from({ length: rows }, (_, i) => ({
      id: \`\${partition}-\${pad(i, 6)}\`,
      amount: (random() * 100).toFixed(2),
      event_at: new Date(windowStart + i * 1000).toISOString().replace('Z', ''),
    }));
    const dir = partitionLandingDir(landingDir, ${s.exported}, partition);
    const marker = faults.some((f) => f.kind === 'no-marker') ? undefined : '_SUCCESS';
${write}
    return { dir, rowsWritten: rows };
  },
};
`;
}
