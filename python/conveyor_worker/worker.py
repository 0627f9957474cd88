"""`conveyor-python-worker`: serve `python` transforms on the Python task queue until SIGINT or SIGTERM.

Started by `npx conveyor python-worker` (or beside `npx conveyor worker`), which checks Conveyor's
configuration (the same environment as every Conveyor process) and hands this process what it resolved
in one variable, CONVEYOR_PYTHON_WORKER_SETTINGS (JSON): the server and how to reach it (TLS, API key),
the namespace, the task queue, the slots, the lake folder and the pipelines' folders.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.worker import Worker

from .activity import POOL, run_python_transform
from .spark import DRIVER

SETTINGS_VARIABLE = "CONVEYOR_PYTHON_WORKER_SETTINGS"


def log(message: str, **fields: Any) -> None:
    """A JSON log line, as Conveyor's TypeScript processes write them."""
    line = {"level": 30, "time": datetime.now(timezone.utc).isoformat(), "service": "conveyor", "component": "python-worker", "msg": message, **fields}
    print(json.dumps(line, separators=(",", ":")), flush=True)


@dataclass(frozen=True)
class Settings:
    address: str
    namespace: str
    task_queue: str
    slots: int
    lake_dir: str
    pipelines_dirs: list[str]
    #: How long a stopping worker lets running functions finish before cancelling them.
    shutdown_grace_seconds: float
    tls: TLSConfig | bool
    api_key: str | None
    #: The lake in S3 (`s3://bucket/prefix`), or None: the lake folder.
    lake_url: str | None = None
    #: Where `spark` transforms that name no master run (CONVEYOR_SPARK_MASTER): `local[*]`, `spark://host:port`.
    spark_master: str = "local[*]"


def settings_of(raw: str | None) -> Settings:
    """The launcher's settings; one line naming what is wrong when they are missing or malformed."""
    if not raw:
        raise SystemExit(f"conveyor python-worker: {SETTINGS_VARIABLE} is not set: start the Python worker with `npx conveyor python-worker`")
    try:
        given = json.loads(raw)
        tls = given.get("tls")
        return Settings(
            address=str(given["address"]),
            namespace=str(given["namespace"]),
            task_queue=str(given["taskQueue"]),
            slots=int(given["slots"]),
            lake_dir=str(given["lakeDir"]),
            pipelines_dirs=[str(d) for d in given["pipelinesDirs"]],
            shutdown_grace_seconds=float(given["shutdownGraceSeconds"]),
            tls=False if tls is None else TLSConfig(
                server_root_ca_cert=tls["serverRootCaCert"].encode() if tls.get("serverRootCaCert") else None,
                client_cert=tls["clientCert"].encode() if tls.get("clientCert") else None,
                client_private_key=tls["clientKey"].encode() if tls.get("clientKey") else None,
                domain=tls.get("serverName"),
            ),
            api_key=given.get("apiKey"),
            spark_master=str(given.get("sparkMaster") or "local[*]"),
            lake_url=given.get("lakeUrl") or None,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise SystemExit(f"conveyor python-worker: invalid {SETTINGS_VARIABLE}: {error!r}: start the Python worker with `npx conveyor python-worker`") from error


async def serve(settings: Settings) -> None:
    client = await Client.connect(settings.address, namespace=settings.namespace, tls=settings.tls, api_key=settings.api_key)
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        activities=[run_python_transform],
        max_concurrent_activities=settings.slots,
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.shutdown()))
    log("python worker started", taskQueue=settings.task_queue, temporal=settings.address, lake=settings.lake_url or settings.lake_dir, slots=settings.slots)
    watch = asyncio.ensure_future(stop_when_orphaned(worker))
    await worker.run()
    watch.cancel()
    DRIVER.stop()
    POOL.stop()
    log("python worker stopped")


async def stop_when_orphaned(worker: Worker) -> None:
    """Stop when the process that started this one is gone (`conveyor python-worker` killed): no worker left behind."""
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(1)
    log("the process that started the python worker is gone: stopping")
    await worker.shutdown()


def main() -> None:
    settings = settings_of(os.environ.get(SETTINGS_VARIABLE))
    # What the activity's processes read: the lake's folder, and where pipelines' folders may be.
    os.environ["CONVEYOR_LAKE_DIR"] = settings.lake_dir
    os.environ["CONVEYOR_PIPELINES_DIR"] = ":".join(settings.pipelines_dirs)
    os.environ["CONVEYOR_SPARK_MASTER"] = settings.spark_master
    if settings.lake_url:
        os.environ["CONVEYOR_LAKE_URL"] = settings.lake_url
    else:
        os.environ.pop("CONVEYOR_LAKE_URL", None)
    try:
        asyncio.run(serve(settings))
    except RuntimeError as error:
        print(f"conveyor python-worker: cannot reach the Temporal server at {settings.address}: {error}", file=sys.stderr)
        raise SystemExit(1) from error


if __name__ == "__main__":
    main()
