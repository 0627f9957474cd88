"""The Python worker's own tests, without a server: a pipeline's function run as the activity runs it, and how failures are classed."""
from __future__ import annotations

import tempfile
import textwrap
import unittest
from pathlib import Path

import pyarrow.parquet as pq

from conveyor_worker import DataError, TransientError
from conveyor_worker.failures import describe, failure_class_of
from conveyor_worker.transform import run_transform

FUNCTION = textwrap.dedent(
    """
    import csv
    import polars as pl
    from conveyor_worker import DataError, Output

    def totals(ctx):
        rows = [r for f in ctx.inputs["raw"] for r in csv.DictReader(open(f))]
        good = [r for r in rows if r["amount"].replace(".", "").isdigit()]
        bad = [{"source_file": "part-0.csv", "record_no": i, "reason": "not a number", "raw_record": str(r)} for i, r in enumerate(rows) if r not in good]
        frame = pl.DataFrame(good).with_columns(pl.col("amount").cast(pl.Float64)).group_by("currency").agg(pl.col("amount").sum()).sort("currency")
        return Output(rows=frame, rejects=bad)

    def broken(ctx):
        raise DataError("every amount is negative")
    """
)


class RunTransform(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp())
        (self.dir / "pipeline").mkdir()
        (self.dir / "pipeline" / "transform.py").write_text(FUNCTION)
        (self.dir / "lake").mkdir()
        (self.dir / "lake" / "part-0.csv").write_text("currency,amount\nEUR,1.5\nEUR,2\nUSD,x\n")

    def request(self, function: str) -> dict:
        return {
            "pipeline": "totals", "partition": "2024-03-01", "run_id": "r1", "folder": str(self.dir / "pipeline"), "function": function,
            "inputs": {"raw": ["part-0.csv"]}, "input_format": "csv", "start": "2024-03-01T00:00:00+00:00", "end": "2024-03-02T00:00:00+00:00",
            "output": "out.parquet", "rejects": "rejects.parquet", "lake_dir": str(self.dir / "lake"),
        }

    def test_writes_the_rows_and_rejects_it_returns(self) -> None:
        counts = run_transform(self.request("transform:totals"))
        self.assertEqual(counts, {"rows": 1, "rejects": 1})
        self.assertEqual(pq.read_table(self.dir / "lake" / "out.parquet").to_pylist(), [{"currency": "EUR", "amount": 3.5}])
        self.assertEqual(pq.read_table(self.dir / "lake" / "rejects.parquet").column("reason").to_pylist(), ["not a number"])

    def test_a_data_error_propagates(self) -> None:
        with self.assertRaises(DataError):
            run_transform(self.request("transform:broken"))


class FailureClasses(unittest.TestCase):
    def test_each_error_has_its_class(self) -> None:
        class HttpError(Exception):
            def __init__(self, status: int) -> None:
                super().__init__(f"HTTP {status}")
                self.status = status

        self.assertEqual(failure_class_of(DataError("bad")), "data")
        self.assertEqual(failure_class_of(TransientError("busy")), "transient")
        self.assertEqual(failure_class_of(ConnectionRefusedError()), "transient")
        self.assertEqual(failure_class_of(HttpError(503)), "transient")
        self.assertEqual(failure_class_of(HttpError(429)), "transient")
        self.assertEqual(failure_class_of(HttpError(404)), "code")
        self.assertEqual(failure_class_of(ZeroDivisionError("division by zero")), "code")

    def test_an_error_is_described_with_the_line_it_was_raised_at(self) -> None:
        try:
            1 / 0
        except ZeroDivisionError as error:
            self.assertRegex(describe(error), r"^ZeroDivisionError: division by zero \(test_transform\.py:\d+\)$")

    def test_a_spark_error_is_data_when_the_values_broke_it(self) -> None:
        class SparkError(Exception):
            def __init__(self, condition: str) -> None:
                super().__init__(f"[{condition}] something\nJVM stacktrace: ...")
                self.condition = condition

            def getCondition(self) -> str:  # noqa: N802 - PySpark's name
                return self.condition

        self.assertEqual(failure_class_of(SparkError("CAST_INVALID_INPUT")), "data")
        self.assertEqual(failure_class_of(SparkError("DIVIDE_BY_ZERO")), "data")
        self.assertEqual(failure_class_of(SparkError("UNRESOLVED_COLUMN.WITH_SUGGESTION")), "code")
        self.assertEqual(describe(SparkError("CAST_INVALID_INPUT")), "SparkError: [CAST_INVALID_INPUT] something")

    def test_a_spark_master_that_takes_no_connection_is_transient(self) -> None:
        import socket

        from conveyor_worker.spark import check_master

        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            port = unused.getsockname()[1]
        with self.assertRaises(TransientError) as raised:
            check_master(f"spark://127.0.0.1:{port}", timeout=2)
        self.assertEqual(failure_class_of(raised.exception), "transient")
        self.assertIn(f"the Spark master spark://127.0.0.1:{port} cannot be reached", str(raised.exception))
        check_master("local[*]")  # nothing to reach


class Lake(unittest.TestCase):
    def test_a_lake_relative_file_is_under_the_lake_url_prefix(self) -> None:
        from conveyor_worker.lake import _object

        self.assertEqual(_object("s3://lake/conveyor", "staging/orders/x.parquet"), "lake/conveyor/staging/orders/x.parquet")
        self.assertEqual(_object("s3://lake", "/staging/x.parquet"), "lake/staging/x.parquet")
        self.assertEqual(_object("s3://lake/a/b/", "x"), "lake/a/b/x")


if __name__ == "__main__":
    unittest.main()
