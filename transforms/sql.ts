/**
 * The `sql` transform: the pipeline's DuckDB SELECT over its source's views, in the step's own
 * DuckDB session. When the source's fast reader fails on a line it cannot parse, the source redefines
 * its inputs the slow way (the bad lines become rejects) and the SELECT runs once more.
 */
import type { SqlTransform } from '../definitions/transform-schema';
import { sourceOf } from '../sources';
import { TRANSFORM_REJECTS_TABLE } from './output';
import type { TransformModule } from './transform';

export const sqlTransform: TransformModule<SqlTransform> = {
  runsInProcess: true,

  async run({ db, deps, pipeline, partition, files, params, transform }) {
    const { module, source } = sourceOf(pipeline);
    const select = `CREATE TEMP TABLE validated AS ${transform.sql}`;
    let inputs = await module.defineInputs(db, { deps, pipeline, source, partition, step: 'transform', registry: deps.registry }, files);
    try {
      await db.run(select, params);
    } catch (err) {
      const slow = await inputs.fallback?.(db, err);
      if (!slow) throw err;
      inputs = slow;
      await db.run(select, params);
    }
    await inputs.afterValidation?.(db);
    await db.run(TRANSFORM_REJECTS_TABLE);
    return inputs;
  },

  async engine({ db }) {
    const { version } = await db.queryOne<{ version: string }>('SELECT version() AS version');
    return `duckdb ${version}`;
  },
};
