/**
 * `conveyor new-pipeline --transform spark`: the pipeline's rows made by a PySpark job (`job.py`) that
 * Conveyor's Python worker runs on a Spark session (`local[*]`, or a standalone cluster): it is given the
 * session, the partition and its snapshot's files, and returns the rows and the records it rejects as
 * DataFrames (docs/transforms.md).
 */
import type { Scaffold } from './common';

/** A time partition's window check: records outside it are rejected. */
const WINDOW_CHECK = `
        .when((F.col("event_at") < start) | (F.col("event_at") >= end), F.format_string("event_at %s is outside partition %s", F.col("landed_event_at"), F.lit(ctx.partition)))`;

/** The job, with \`NAME\`, \`WINDOW\` and \`WINDOW_CHECK\` to fill. */
const JOB = `"""NAME: the partition's records in, its rows out, by a PySpark job.

Scaffolded by \`conveyor new-pipeline --transform spark\`: replace what it does, keep what it is given
and what it returns. Conveyor's Python worker runs it on a Spark session it keeps between partitions
(\`npx conveyor worker\` starts one; CONVEYOR_SPARK_MASTER or the definition's \`master\` says where).
Raise DataError when the data is bad (not retried); Spark's own errors are classed from their kind.
"""
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from conveyor_worker import Output, TransformContext

COLUMNS = ["id", "amount", "event_at"]


def landed(spark: SparkSession, ctx: TransformContext) -> DataFrame:
    """Every landed record, every column as text, with the file and record number it came from."""
    files = ctx.inputs["raw"]
    if ctx.input_format == "csv":
        frame = spark.read.option("header", True).option("inferSchema", False).csv(files)
    elif ctx.input_format == "jsonl":
        frame = spark.read.json(files)
    else:
        frame = spark.read.parquet(*files)
    frame = frame.select(*(F.col(c).cast("string").alias(c) for c in COLUMNS), F.col("_metadata.file_name").alias("source_file"))
    in_file = Window.partitionBy("source_file").orderBy(F.monotonically_increasing_id())
    return frame.withColumn("record_no", F.row_number().over(in_file).cast("bigint"))


def rows(spark: SparkSession, ctx: TransformContext) -> Output:
    """The partition's rows, and the records that do not fit (each with its reason)."""
    records = landed(spark, ctx)WINDOW
    typed = records.select(
        "source_file", "record_no",
        F.to_json(F.struct(*COLUMNS)).alias("raw_record"),
        F.nullif(F.trim(F.col("id")), F.lit("")).alias("id"),
        F.col("amount").alias("landed_amount"),
        F.expr("try_cast(amount AS DECIMAL(12,2))").alias("amount"),
        F.col("event_at").alias("landed_event_at"),
        F.expr("try_cast(event_at AS TIMESTAMP_NTZ)").alias("event_at"),
    )
    reason = (
        F.when(F.col("id").isNull(), F.lit("id is empty"))
        .when(F.col("amount").isNull(), F.format_string("amount '%s' is not a decimal number", F.col("landed_amount")))
        .when(F.col("event_at").isNull(), F.format_string("event_at '%s' is not a timestamp", F.col("landed_event_at")))WINDOW_CHECK
    )
    checked = typed.withColumn("reason", reason)
    good = checked.where(F.col("reason").isNull()).select(*COLUMNS)
    rejects = checked.where(F.col("reason").isNotNull()).select("source_file", "record_no", "reason", "raw_record")
    return Output(rows=good, rejects=rejects)
`;

export function sparkJob(s: Scaffold): string {
  const window = s.isTime
    ? `\n    # The window, UTC, the end exclusive.\n    start = F.expr(f"TIMESTAMP_NTZ '{ctx.start:%Y-%m-%d %H:%M:%S}'")\n    end = F.expr(f"TIMESTAMP_NTZ '{ctx.end:%Y-%m-%d %H:%M:%S}'")`
    : '';
  return JOB.replace('NAME', s.name).replace('WINDOW_CHECK', s.isTime ? WINDOW_CHECK : '').replace('WINDOW', window);
}
