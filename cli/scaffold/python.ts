/**
 * `conveyor new-pipeline --transform python`: the pipeline's rows made by a Python function
 * (`transform.py`, Polars) that Conveyor's Python worker runs: it is given the partition and its
 * snapshot's files, and returns the rows and the records it rejects (docs/transforms.md).
 */
import type { Scaffold } from './common';

/** A time partition's window check: records outside it are rejected. */
const WINDOW_CHECK = `
        .when((pl.col("event_at") < start) | (pl.col("event_at") >= end))
        .then(pl.format("event_at {} is outside partition {}", pl.col("landed_event_at"), pl.lit(ctx.partition)))`;

/** The function, with \`NAME\`, \`WINDOW\` and \`WINDOW_CHECK\` to fill. */
const FUNCTION = `"""NAME: the partition's records in, its rows out, by a Python function (Polars).

Scaffolded by \`conveyor new-pipeline --transform python\`: replace what it does, keep what it is given
and what it returns. Conveyor's Python worker runs it (\`npx conveyor worker\` starts one). Raise
DataError when the data is bad (not retried) and TransientError to be retried; any other exception
is a bug in it (not retried), reported with its type and line.
"""
import os

import polars as pl

from conveyor_worker import Output, TransformContext

COLUMNS = ["id", "amount", "event_at"]


def landed(ctx: TransformContext) -> pl.DataFrame:
    """Every landed record, every column as text, with the file and record number it came from."""
    frames = []
    for name in ctx.inputs["raw"]:
        if ctx.input_format == "csv":
            frame = pl.read_csv(name, infer_schema=False)
        elif ctx.input_format == "jsonl":
            frame = pl.read_ndjson(name)
        else:
            frame = pl.read_parquet(name)
        frame = frame.select(pl.col(c).cast(pl.Utf8) for c in COLUMNS)
        frames.append(frame.with_row_index("record_no", offset=1).with_columns(pl.lit(os.path.basename(name)).alias("source_file")))
    return pl.concat(frames) if frames else pl.DataFrame(schema={c: pl.Utf8 for c in COLUMNS})


def rows(ctx: TransformContext) -> Output:
    """The partition's rows, and the records that do not fit (each with its reason)."""
    records = landed(ctx)WINDOW
    typed = records.with_columns(
        pl.struct(COLUMNS).struct.json_encode().alias("raw_record"),
        pl.col("id").str.strip_chars().replace("", None).alias("id"),
        pl.col("amount").alias("landed_amount"),
        pl.col("amount").cast(pl.Decimal(12, 2), strict=False).alias("amount"),
        pl.col("event_at").alias("landed_event_at"),
        pl.col("event_at").str.to_datetime(strict=False).alias("event_at"),
    )
    reason = (
        pl.when(pl.col("id").is_null()).then(pl.lit("id is empty"))
        .when(pl.col("amount").is_null()).then(pl.format("amount '{}' is not a decimal number", pl.col("landed_amount")))
        .when(pl.col("event_at").is_null()).then(pl.format("event_at '{}' is not a timestamp", pl.col("landed_event_at")))WINDOW_CHECK
    )
    checked = typed.with_columns(reason.alias("reason"))
    good = checked.filter(pl.col("reason").is_null()).select(COLUMNS)
    rejects = checked.filter(pl.col("reason").is_not_null()).select(
        "source_file", "record_no", "reason", "raw_record",
    )
    return Output(rows=good, rejects=rejects)
`;

export function pythonFunction(s: Scaffold): string {
  const window = s.isTime ? '\n    start, end = ctx.start.replace(tzinfo=None), ctx.end.replace(tzinfo=None)  # the window, UTC' : '';
  return FUNCTION.replace('NAME', s.name).replace('WINDOW_CHECK', s.isTime ? WINDOW_CHECK : '').replace('WINDOW', window);
}
