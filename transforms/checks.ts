/**
 * The definition's checks (write, audit, publish): each a query over the view `output` (the partition's
 * rows as they would be published, with `run_id`) and the source's views, returning the rows that
 * break it. They run after the transform has staged its rows and before anything is published. A
 * failed `error` check fails the partition as `data`, naming the check and the rows that broke it; a
 * failed `warn` check is recorded (and its monitor alerts) and the partition is published. A check
 * whose query does not run is a bug in the definition: `code`.
 */
import type { CheckResult } from '../common/run-contract';
import { classifiedFailure } from '../common/failure-classes';
import { sqlString } from '../common/sql';
import type { DuckSession } from '../lake/duckdb';
import type { PipelineDefinition } from '../definitions/definition';

export async function runChecks(db: DuckSession, pipeline: PipelineDefinition, staged: string, params: Record<string, string>): Promise<CheckResult[]> {
  if (pipeline.checks.length === 0) return [];
  await db.run(`CREATE OR REPLACE TEMP VIEW output AS SELECT * FROM read_parquet(${sqlString(staged)}, hive_partitioning = false)`);
  const results: CheckResult[] = [];
  for (const check of pipeline.checks) {
    const { n } = await db.queryOne<{ n: bigint }>(`SELECT count(*) AS n FROM (${check.sql})`, params).catch((err: unknown) => {
      throw classifiedFailure('code', { step: 'transform', message: `check ${check.name} of ${pipeline.name} does not run: ${String(err instanceof Error ? err.message : err).split('\n')[0]}` });
    });
    results.push({ name: check.name, severity: check.severity, failed_rows: Number(n) });
  }
  return results;
}

/** The failure an `error` check that broke makes: `data`, naming it, the rows and what it asserts; or undefined. */
export function failedCheck(pipeline: PipelineDefinition, results: CheckResult[]): Error | undefined {
  const failed = results.filter((r) => r.severity === 'error' && r.failed_rows > 0);
  if (failed.length === 0) return undefined;
  const described = failed.map((r) => {
    const what = pipeline.checks.find((c) => c.name === r.name)?.description;
    return `check ${r.name} failed: ${r.failed_rows} row(s) break it${what ? ` (${what})` : ''}`;
  });
  return classifiedFailure('data', { step: 'transform', message: `${described.join('; ')}; nothing published`, details: { checks: results } });
}
