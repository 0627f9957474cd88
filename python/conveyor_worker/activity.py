"""The activity the TypeScript workflow schedules on the Python worker's task queue: `runPythonTransform`.

The function runs in a process of its own; the activity heartbeats while it runs and stops it when the
run is cancelled. What it raises is classed as Conveyor's failures are: `DataError` data (not retried),
`TransientError`, a connection error or an HTTP 429/5xx transient (retried), anything else code (not
retried), with its type, message and the line it was raised at.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import secrets
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from .context import DataError, TransientError
from .transform import run_transform

FAILURE_TYPES = {"transient": "TransientFailure", "data": "DataFailure", "code": "CodeFailure"}


def failure_class_of(error: BaseException) -> str:
    """`data`, `transient` or `code`, for an exception a transform raised."""
    if isinstance(error, DataError):
        return "data"
    if isinstance(error, (TransientError, ConnectionError, TimeoutError)):
        return "transient"
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(error, "status", None) or getattr(error, "code", None)
    if isinstance(status, int) and (status == 429 or 500 <= status <= 599):
        return "transient"
    return "code"


def describe(error: BaseException) -> str:
    """`ZeroDivisionError: division by zero (transform.py:12)`: the error in the team's own terms."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _exit_when_orphaned(parent: int) -> None:
    """The transform's process ends when the worker that started it is gone (killed): nothing left running."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _child(request: dict[str, Any], pipe: Connection) -> None:
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    try:
        pipe.send(("ok", run_transform(request)))
    except BaseException as error:  # noqa: BLE001 - every failure is reported, classed, to the activity
        pipe.send((failure_class_of(error), describe(error)))


@activity.defn(name="runPythonTransform")
async def run_python_transform(request: dict[str, Any]) -> dict[str, Any]:
    info = activity.info()
    # Lake paths are relative: this worker's lake root is its own CONVEYOR_LAKE_DIR (the same lake).
    # What it writes is named per attempt (a lost attempt may still be writing).
    tag = f"attempt-{info.attempt}.{secrets.token_hex(4)}"
    output = f"{request['staging_dir']}/python-output.{tag}.parquet"
    rejects = f"{request['staging_dir']}/python-rejects.{tag}.parquet"
    request = {**request, "lake_dir": os.environ["CONVEYOR_LAKE_DIR"], "output": output, "rejects": rejects}
    Path(os.environ["CONVEYOR_LAKE_DIR"], request["staging_dir"]).mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(request, send), daemon=True)
    process.start()
    try:
        while not receive.poll():
            if not process.is_alive() and not receive.poll():
                raise ApplicationError(f"the transform's process died (exit {process.exitcode})", {"failureClass": "transient", "step": "transform"}, type=FAILURE_TYPES["transient"])
            activity.heartbeat({"pid": process.pid})
            await asyncio.sleep(0.5)
        outcome = receive.recv()
    except asyncio.CancelledError:
        process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
        raise
    finally:
        process.join(1)
    if outcome[0] == "ok":
        counts = outcome[1]
        return {"output": output, "rejects": rejects if counts["rejects"] else None, "rows": counts["rows"], "engine": engine()}
    failure_class, message = outcome
    details = {"failureClass": failure_class, "step": "transform", "attempt": info.attempt}
    raise ApplicationError(message, details, type=FAILURE_TYPES[failure_class], non_retryable=failure_class != "transient")


def engine() -> str:
    """What ran it, for the run record."""
    import platform

    import polars
    import pyarrow

    return f"python {platform.python_version()} (polars {polars.__version__}, pyarrow {pyarrow.__version__})"
