"""A process the Python worker starts ends when the worker is gone (killed): nothing is left running."""
from __future__ import annotations

import os
import signal
import threading
import time


def _exit_when_orphaned(parent: int, group: bool) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    if group:  # with what it started (a Spark driver's JVM)
        os.killpg(0, signal.SIGKILL)
    os._exit(1)


def exit_when_orphaned(group: bool = False) -> None:
    """Watch the parent from a daemon thread; exit at once when it is gone (with the process group: `group`)."""
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(), group), daemon=True).start()
