/**
 * `conveyor new-pipeline --transform dbt`: the pipeline's rows made by a model of a dbt project kept in
 * its folder: `dbt_project.yml`, the model (typing the records the source `conveyor.raw` gives as text,
 * a `reject_reason` for those that do not fit) and its dbt tests, in `models/`.
 */
import type { Scaffold } from './common';

export function dbtProject(s: Scaffold): Record<string, string> {
  const window = s.isTime
    ? `
    when event_at < cast('{{ var("conveyor_partition_start") }}' as timestamp)
      or event_at >= cast('{{ var("conveyor_partition_end") }}' as timestamp)
      then 'event_at ' || landed_event_at || ' is outside partition {{ var("conveyor_partition") }}'`
    : '';
  return {
    'dbt_project.yml': `# ${s.name}'s dbt project: Conveyor builds the model \`${s.name}\` (and what it refs) per partition.
name: ${s.name}
version: '1.0'
profile: conveyor
model-paths: ["models"]
models:
  ${s.name}:
    +materialized: view
`,
    'models/schema.yml': `version: 2
sources:
  # The run's snapshot of the partition, as Conveyor gives it: every declared column as text.
  - name: conveyor
    schema: conveyor
    tables:
      - name: raw
models:
  - name: ${s.name}
    description: 'TODO: what ${s.name} holds, for whom.'
    columns:
      - name: id
        data_tests:
          # A failed test fails the partition (nothing published); rejected records are not its business.
          - not_null:
              config:
                where: reject_reason is null
`,
    [`models/${s.name}.sql`]: `-- ${s.name}: one partition's rows from the source conveyor.raw (every column as text, one row per
-- record). A row with a reject_reason goes to Conveyor's reject bin instead of the table.
select
  id, amount, event_at,
  case
    when id is null then 'id is empty'
    when amount is null then 'amount ' || coalesce('''' || landed_amount || '''', 'NULL') || ' is not a decimal number'
    when event_at is null then 'event_at ' || coalesce('''' || landed_event_at || '''', 'NULL') || ' is not a timestamp'${window}
  end as reject_reason
from (
  select nullif(trim(id), '') as id,
         amount as landed_amount, try_cast(amount as decimal(12, 2)) as amount,
         event_at as landed_event_at, try_cast(event_at as timestamp) as event_at
  from {{ source('conveyor', 'raw') }}
)
`,
  };
}
