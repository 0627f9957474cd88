"""The bench's Python function (`npm run bench -- --sections kinds`): the same per-currency totals as
the SQL and the dbt model beside it, with Polars."""
import polars as pl

from conveyor_worker import TransformContext


def totals(ctx: TransformContext) -> pl.DataFrame:
    orders = pl.scan_csv(ctx.inputs["raw"], infer_schema=False)
    amount = pl.col("amount").cast(pl.Decimal(18, 2))
    return orders.group_by("currency").agg(pl.len().cast(pl.Int64).alias("orders"), amount.sum().alias("revenue")).collect()


if __name__ == "__main__":  # bare: `python totals.py <out.parquet> <file.csv>...`, the function called directly
    import sys
    import time

    started = time.perf_counter()
    totals(TransformContext(pipeline="bench", partition="bare", run_id="bare", inputs={"raw": sys.argv[2:]}, input_format="csv")).write_parquet(sys.argv[1])
    print(f"{(time.perf_counter() - started) * 1000:.0f}")
