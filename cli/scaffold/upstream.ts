/** `conveyor new-pipeline --source upstream`: a table built from another pipeline's published partitions. */
import { InputError } from '../../common/errors';
import type { PipelineDefinition } from '../../definitions/definition';
import { head, testFile, type Scaffold } from './common';

export function upstreamScaffold(s: Scaffold, upstream: PipelineDefinition, mappingFlag: string): Record<string, string> {
  const window = /^window:(\d+)$/.exec(mappingFlag);
  if (!['same', 'covering'].includes(mappingFlag) && !window) throw new InputError(`invalid --mapping '${mappingFlag}': same, covering or window:N`);
  const mapping = window ? `{ kind: 'window', partitions: ${window[1]} }` : `'${mappingFlag}'`;
  const first = upstream.table.columns[0]!;
  return {
    'definition.ts': `/**
 * \`${s.name}\`: built from \`${upstream.name}\` (${mappingFlag}), read by its SQL as the view \`${upstream.name}\`.
 * Scaffolded by \`conveyor new-pipeline\`: describe what it holds, then edit transform.sql.
 */
${head(s)}  source: { kind: 'upstream', inputs: [{ pipeline: '${upstream.name}', mapping: ${mapping} }] },
  table: {
    columns: [
      { name: '${first.name}', type: '${first.type}' },
      { name: 'row_count', type: 'BIGINT' },
    ],
    uniqueKey: ['${first.name}'],
  },
  transform: { kind: 'sql', sql: loadSql(path.join(__dirname, 'transform.sql')) },
});
`,
    'transform.sql': `-- ${s.name}: one row per ${first.name}, from the view \`${upstream.name}\` (the upstream partitions this partition reads).
-- Yield every published column (the upstream rows were validated there: no reject_reason needed).
SELECT ${first.name}, count(*)::BIGINT AS row_count
FROM ${upstream.name}
GROUP BY ${first.name}
`,
    [`${s.name}.test.ts`]: testFile(
      s,
      "its definition loads with its upstream, and its SQL runs over inputs shaped like the upstream's table",
      `it('${s.name}: its SQL runs over the upstream table\\'s shape', async () => {
  assert.deepEqual(await checkPipelineSample(${s.exported}), { valid: 0, rejected: 0, reasons: [], malformed: 0 });
});
`,
    ),
  };
}
