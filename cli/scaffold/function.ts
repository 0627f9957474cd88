/** `conveyor new-pipeline --source function`: rows from code (an API), made up offline until the call is written. */
import { head, recordsTable, recordsTransform, SDK, testFile, type Scaffold } from './common';

export function functionScaffold(s: Scaffold): Record<string, string> {
  const fn = `fetch${s.exported.replace(/^./, (ch) => ch.toUpperCase()).replace(/Pipeline$/, '')}`;
  const before = `/**
 * The partition's rows, objects keyed by the declared columns. TODO: call the API instead of making
 * rows up, e.g. \`const res = await fetch(url, { signal })\`; \`throw new HttpError(res.status, ...)\` when
 * it is not ok (429 and 5xx are retried, another 4xx fails the partition as code) and a
 * \`SourceDataError\` for a page that is not what it should be (both from '${SDK}').
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
 * \`${s.name}\`: rows from code (an HTTP API, a database query), per partition: its source function, below.
 * Ingest runs it as a heartbeating step and snapshots what it yields as JSON lines; validate.sql reads them as \`raw\`.
 * Scaffolded by \`conveyor new-pipeline\`: describe what it holds, write the call to the API, then edit validate.sql.
 */
${head(s, { imports: ['type SourceFunction'], before })}  source: { kind: 'function', rows: ${fn}, columns: ['id', 'amount', 'event_at'] },
${recordsTable(s)}`,
    ...recordsTransform(s, 'object its source function yielded'),
    [`${s.name}.test.ts`]: testFile(
      s,
      "a sample partition's rows from its source function validate through its SQL",
      `it('${s.name}: a sample partition from its source function validates with no rejects', async () => {
  const check = await checkPipelineSample(${s.exported}, { partition: '${s.sample}' });
  assert.deepEqual(check, { valid: 100, rejected: 0, reasons: [], malformed: 0 });
});
`,
    ),
  };
}
