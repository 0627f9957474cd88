"""A process the Python worker keeps between steps: started on the first, given one request at a time
over a pipe, killed (with what it started: its process group) when a step is cancelled, and replaced on
the next. What it loads stays loaded: Polars and PyArrow for a `python` function, a Spark session and
its JVM for a `spark` job.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from typing import Any, Callable

from .failures import describe, failure_class_of
from .orphans import exit_when_orphaned


def serve(pipe: Connection, handle: Callable[[dict[str, Any]], dict[str, Any]], finish: Callable[[], None] = lambda: None) -> None:
    """A warm process's loop: each request handled, `("ok", result)` or `(failure class, message)` sent back."""
    os.setpgrp()  # a group of its own with what it starts, so a cancelled step ends them all at once
    exit_when_orphaned(group=True)
    while True:
        try:
            request = pipe.recv()
        except EOFError:
            break
        try:
            pipe.send(("ok", handle(request)))
        except BaseException as error:  # noqa: BLE001 - every failure is reported, classed, to the activity
            pipe.send((failure_class_of(error), describe(error)))
    finish()


class WarmProcess:
    """One process, one request at a time; `target(pipe)` runs {@link serve}."""

    def __init__(self, target: Callable[[Connection], None], name: str) -> None:
        self._target = target
        self._name = name
        self._process: Any = None
        self._pipe: Connection | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def run(self, request: dict[str, Any], heartbeat: Callable[[Any], None]) -> tuple[str, Any]:
        """`("ok", result)` or `(failure class, message)`; cancelled, the process is killed."""
        if self._process is None or not self._process.is_alive():
            self._start()
        assert self._pipe is not None
        try:
            self._pipe.send(request)
            while not self._pipe.poll():
                if not self._process.is_alive() and not self._pipe.poll():
                    code = self._process.exitcode
                    self._process = None
                    return ("transient", f"the {self._name} process died (exit {code})")
                heartbeat({"pid": self._process.pid})
                await asyncio.sleep(0.5)
            return self._pipe.recv()  # type: ignore[no-any-return]
        except asyncio.CancelledError:
            self.kill()
            raise

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe()
        self._process = context.Process(target=self._target, args=(send,), daemon=True)
        self._process.start()
        self._pipe = receive

    def kill(self) -> None:
        """End it and what it started at once (a cancelled step)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.join(5)

    def stop(self) -> None:
        """End it when the worker stops: its loop ends (its `finish` runs), killed if it lingers."""
        process, pipe, self._process = self._process, self._pipe, None
        if process is None or pipe is None:
            return
        pipe.close()
        process.join(30)
        if process.is_alive():
            self._process = process
            self.kill()


class WarmPool:
    """Warm processes for steps that run at once: an idle one is reused, a new one started when all are busy."""

    def __init__(self, target: Callable[[Connection], None], name: str) -> None:
        self._target = target
        self._name = name
        self._idle: list[WarmProcess] = []
        self._all: list[WarmProcess] = []

    async def run(self, request: dict[str, Any], heartbeat: Callable[[Any], None]) -> tuple[str, Any]:
        process = self._idle.pop() if self._idle else self._new()
        try:
            outcome = await process.run(request, heartbeat)
        except BaseException:
            self._all.remove(process)  # cancelled: killed, not reused
            raise
        self._idle.append(process)
        return outcome

    def _new(self) -> WarmProcess:
        process = WarmProcess(self._target, self._name)
        self._all.append(process)
        return process

    def stop(self) -> None:
        for process in self._all:
            process.stop()
        self._all, self._idle = [], []
