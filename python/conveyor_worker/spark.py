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
import multiprocessing
import os
import signal
import socket
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

from .context import Output, TransientError
from .failures import describe, failure_class_of
from .orphans import exit_when_orphaned
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


def _driver(pipe: Connection) -> None:
    """The driver process: one session at a time (a new one when the master or settings change), one job at a time.

    A process group of its own with its JVM, so a cancelled job ends both at once.
    """
    os.setpgrp()
    exit_when_orphaned(group=True)
    spark, key = None, None
    while True:
        try:
            request = pipe.recv()
        except EOFError:
            break
        try:
            wanted = (request["spark"]["master"], tuple(sorted(request["spark"]["conf"].items())))
            if spark is not None and (wanted != key or spark.sparkContext._jsc is None):
                spark.stop()
                spark = None
            if spark is None:
                spark, key = new_session(request["spark"]["master"], request["spark"]["conf"]), wanted
            counts = run_spark_job(spark, request)
            pipe.send(("ok", {**counts, "engine": engine_of(spark)}))
        except BaseException as error:  # noqa: BLE001 - every failure is reported, classed, to the activity
            pipe.send((failure_class_of(error), describe(error)))
    if spark is not None:
        spark.stop()


class SparkDriver:
    """The Python worker's Spark driver process, started on the first job, kept for the next ones."""

    def __init__(self) -> None:
        self._process: Any = None
        self._pipe: Connection | None = None
        self._busy = False

    async def run(self, request: dict[str, Any], heartbeat: Callable[[Any], None]) -> tuple[str, Any]:
        """`("ok", counts and engine)` or `(failure class, message)`; a cancelled job stops the driver."""
        while self._busy:  # one job at a time: the others wait their turn, alive
            heartbeat({"waiting": "spark driver"})
            await asyncio.sleep(0.5)
        self._busy = True
        try:
            if self._process is None or not self._process.is_alive():
                self._start()
            assert self._pipe is not None
            self._pipe.send(request)
            while not self._pipe.poll():
                if not self._process.is_alive() and not self._pipe.poll():
                    code = self._process.exitcode
                    self._process = None
                    return ("transient", f"the Spark driver process died (exit {code})")
                heartbeat({"pid": self._process.pid})
                await asyncio.sleep(0.5)
            return self._pipe.recv()  # type: ignore[no-any-return]
        except asyncio.CancelledError:
            self.kill()
            raise
        finally:
            self._busy = False

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe()
        self._process = context.Process(target=_driver, args=(send,), daemon=True)
        self._process.start()
        self._pipe = receive

    def kill(self) -> None:
        """End the driver and its JVM at once (a cancelled job): the cluster's master ends the application
        when its driver's connection drops; a graceful stop would wait for the job's tasks."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.join(5)

    def stop(self) -> None:
        """End the driver when the worker stops: its session stopped, then the process (killed if it lingers)."""
        process, pipe, self._process = self._process, self._pipe, None
        if process is None or pipe is None:
            return
        pipe.close()  # the driver's loop ends, stopping its session
        process.join(30)
        if process.is_alive():
            self._process = process
            self.kill()


DRIVER = SparkDriver()
