"""The `spark` transform: a PySpark job of a pipeline's folder (`module:function`), called with a
SparkSession and the partition's `TransformContext`, returning a Spark DataFrame (or `Output`).

The job runs in a Spark driver process the Python worker keeps between partitions, so a backfill pays
the JVM's and the session's start-up once, not per partition. The session runs on the transform's
master (`local[*]`, or a standalone cluster `spark://host:port`); what it writes goes to the lake folder,
which a cluster's executors must see at the same path. A cancelled run stops the driver (its JVM ends
with it); the next job starts a new one.
"""
from __future__ import annotations

import asyncio
import socket
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

from .context import Output, TransientError
from .warm import WarmProcess, serve
from .transform import context_of, load_function, pipeline_folder, write_output

#: Spark settings every session gets: no web UI to bind, times in UTC as Conveyor's, timestamps DuckDB reads as timestamps.
BASE_CONF = {"spark.ui.enabled": "false", "spark.sql.session.timeZone": "UTC", "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS"}


def check_master(master: str, timeout: float = 5.0) -> None:
    """A standalone master (`spark://host:port[,host:port]`) that takes no connection is a transient failure."""
    if not master.startswith("spark://"):
        return
    errors = []
    for address in master[len("spark://"):].split(","):
        host, _, port = address.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout).close()
            return
        except (OSError, ValueError) as error:
            errors.append(f"{address}: {error}")
    raise TransientError(f"the Spark master {master} cannot be reached ({'; '.join(errors)})")


def is_spark_frame(value: Any) -> bool:
    return type(value).__module__.startswith("pyspark.")


def write_frames(spark: Any, result: Any, lake: Path, output: str, rejects: str) -> dict[str, int]:
    """The job's rows (and rejects) as folders of Parquet files under the lake (`<output>/*.parquet`); their counts."""
    out = result if isinstance(result, Output) else Output(rows=result)
    counts = {"rows": 0, "rejects": 0}
    for name, frame, folder in (("rows", out.rows, output), ("rejects", out.rejects, rejects)):
        if frame is None:
            continue
        target = lake / folder
        if is_spark_frame(frame):
            frame.write.mode("overwrite").parquet(str(target))
            counts[name] = spark.read.parquet(str(target)).count()
        else:  # a Polars, pandas or Arrow frame: one file of the folder
            written = write_output(Output(rows=frame), lake, f"{folder}/part-00000.parquet", f"{folder}/unused")
            counts[name] = written["rows"]
    return counts


def run_spark_job(spark: Any, request: dict[str, Any], heartbeat: Callable[[Any], None] | None = None) -> dict[str, int]:
    """Call the pipeline's job with the session and the partition; its frames to the lake. Returns the counts."""
    job = load_function(pipeline_folder(request["pipeline"], request["folder"]), request["function"])
    spark.sparkContext.setJobDescription(f"{request['pipeline']}.{request['partition']}")
    result = job(spark, context_of(request, heartbeat))
    return write_frames(spark, result, Path(request["lake_dir"]), request["output"], request["rejects"])


def new_session(master: str, conf: dict[str, str], app_name: str = "conveyor") -> Any:
    from pyspark.sql import SparkSession

    check_master(master)
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**BASE_CONF, **conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def engine_of(spark: Any) -> str:
    """What ran it, for the run record: Spark's version, the master, the application's id."""
    context = spark.sparkContext
    return f"spark {spark.version} ({context.master}, application {context.applicationId})"


class _Driver:
    """The driver process's state: one session at a time (a new one when the master or settings change)."""

    def __init__(self) -> None:
        self.spark: Any = None
        self.key: tuple[Any, ...] | None = None

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        wanted = (request["spark"]["master"], tuple(sorted(request["spark"]["conf"].items())))
        if self.spark is not None and (wanted != self.key or self.spark.sparkContext._jsc is None):
            self.spark.stop()
            self.spark = None
        if self.spark is None:
            self.spark, self.key = new_session(request["spark"]["master"], request["spark"]["conf"]), wanted
        return {**run_spark_job(self.spark, request), "engine": engine_of(self.spark)}

    def finish(self) -> None:
        if self.spark is not None:
            self.spark.stop()


def _driver(pipe: Connection) -> None:
    """The Spark driver process: one job at a time on a session it keeps, with its JVM in its process group."""
    driver = _Driver()
    serve(pipe, driver.handle, driver.finish)


class SparkDriver:
    """The Python worker's Spark driver process, started on the first job, kept for the next ones; one job at a time."""

    def __init__(self) -> None:
        self._process = WarmProcess(_driver, "Spark driver")
        self._busy = False

    async def run(self, request: dict[str, Any], heartbeat: Callable[[Any], None]) -> tuple[str, Any]:
        """`("ok", counts and engine)` or `(failure class, message)`; a cancelled job kills the driver and its JVM
        (the cluster's master ends the application when its driver's connection drops)."""
        while self._busy:  # one job at a time: the others wait their turn, alive
            heartbeat({"waiting": "spark driver"})
            await asyncio.sleep(0.5)
        self._busy = True
        try:
            return await self._process.run(request, heartbeat)
        finally:
            self._busy = False

    def stop(self) -> None:
        self._process.stop()


DRIVER = SparkDriver()
