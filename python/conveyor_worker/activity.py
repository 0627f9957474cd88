"""The activity the TypeScript workflow schedules on the Python worker's task queue: `runPythonTransform`.

A `python` function runs in a warm process of its own (kept between steps: warm.py), a `spark` job in
the worker's Spark driver process (spark.py); the activity heartbeats while it runs and kills the
process when the run is cancelled. What it
raises is classed as Conveyor's failures are (failures.py), with its type, message and the line of
the team's code it was raised at.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

from temporalio import activity
from temporalio.exceptions import ApplicationError

from .failures import FAILURE_TYPES
from .lake import fetch, lake_url, put
from .spark import DRIVER
from .transform import run_transform
from .warm import WarmPool, serve

def _python_process(pipe: Connection) -> None:
    """A warm process for `python` functions: Polars and PyArrow stay imported; each function's module is imported afresh."""
    serve(pipe, lambda request: {**run_transform(request), "engine": engine()})


#: The processes `python` functions run in, one per step running at once, kept between steps.
POOL = WarmPool(_python_process, "Python function")


async def _in_own_process(request: dict[str, Any]) -> tuple[str, Any]:
    """A `python` function in a warm process of its own: `("ok", counts)` or `(failure class, message)`; cancelled, the process is killed."""
    return await POOL.run(request, activity.heartbeat)


async def _heartbeating(work: Callable[..., Any], *args: Any) -> Any:
    """Run blocking work (a copy from or to the bucket) in a thread, heartbeating while it runs."""
    task = asyncio.ensure_future(asyncio.to_thread(work, *args))
    while not task.done():
        activity.heartbeat({"copying": True})
        await asyncio.wait({task}, timeout=1)
    return task.result()


async def _python_step(request: dict[str, Any], output: str, rejects: str) -> tuple[str, Any]:
    """A `python` function over the lake: in the lake folder, or on S3 in a folder of its own (inputs fetched, outputs put back)."""
    url = lake_url()
    if not url:
        lake = os.environ["CONVEYOR_LAKE_DIR"]
        Path(lake, request["staging_dir"]).mkdir(parents=True, exist_ok=True)
        return await _in_own_process({**request, "lake_dir": lake, "output": output, "rejects": rejects})
    with tempfile.TemporaryDirectory(prefix="conveyor-python-") as local:
        await _heartbeating(fetch, url, [f for files in request["inputs"].values() for f in files], Path(local))
        outcome = await _in_own_process({**request, "lake_dir": local, "output": output, "rejects": rejects})
        if outcome[0] == "ok":
            await _heartbeating(put, url, Path(local, output), output)
            if outcome[1]["rejects"]:
                await _heartbeating(put, url, Path(local, rejects), rejects)
        return outcome


@activity.defn(name="runPythonTransform")
async def run_python_transform(request: dict[str, Any]) -> dict[str, Any]:
    info = activity.info()
    # Lake paths are relative: this worker's lake is its own CONVEYOR_LAKE_DIR or CONVEYOR_LAKE_URL (the same lake).
    # What it writes is named per attempt (a lost attempt may still be writing).
    tag = f"attempt-{info.attempt}.{secrets.token_hex(4)}"
    spark = request.get("spark")
    if spark:
        # A folder of Parquet files each, made by the Spark driver the worker keeps warm (a lake folder only).
        lake = os.environ["CONVEYOR_LAKE_DIR"]
        Path(lake, request["staging_dir"]).mkdir(parents=True, exist_ok=True)
        output, rejects = f"{request['staging_dir']}/spark-output.{tag}", f"{request['staging_dir']}/spark-rejects.{tag}"
        master = spark.get("master") or os.environ.get("CONVEYOR_SPARK_MASTER") or "local[*]"
        request = {**request, "lake_dir": lake, "output": output, "rejects": rejects, "spark": {"master": master, "conf": spark.get("conf") or {}}}
        outcome = await DRIVER.run(request, activity.heartbeat)
        files = "/*.parquet"
    else:
        output, rejects = f"{request['staging_dir']}/python-output.{tag}.parquet", f"{request['staging_dir']}/python-rejects.{tag}.parquet"
        outcome = await _python_step(request, output, rejects)
        files = ""
    if outcome[0] == "ok":
        counts = outcome[1]
        return {"output": output + files, "rejects": rejects + files if counts["rejects"] else None, "rows": counts["rows"], "engine": counts["engine"]}
    failure_class, message = outcome
    details = {"failureClass": failure_class, "step": "transform", "attempt": info.attempt}
    raise ApplicationError(message, details, type=FAILURE_TYPES[failure_class], non_retryable=failure_class != "transient")


def engine() -> str:
    """What ran it, for the run record."""
    import platform

    import polars
    import pyarrow

    return f"python {platform.python_version()} (polars {polars.__version__}, pyarrow {pyarrow.__version__})"
