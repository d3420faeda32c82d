"""Module-level processor functions: the process pool can only run what pickles by reference."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from processors import ProcessingTask


def square_in_process(task: ProcessingTask) -> dict[str, int]:
    n = int(task.payload["n"])
    return {"square": n * n, "pid": os.getpid()}


def crash_process(task: ProcessingTask) -> None:
    os._exit(3)  # simulates a worker killed by the OOM killer or a segfault


def sleep_in_process(task: ProcessingTask) -> str:
    time.sleep(float(task.payload["seconds"]))
    return "late"


def thread_name(task: ProcessingTask) -> str:
    return threading.current_thread().name


class Gate:
    """Blocks a thread-pool job until the test opens it (a threading.Event with a safety limit)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()

    def __call__(self, task: ProcessingTask) -> Any:
        self.entered.set()
        self.release.wait(10)
        self.finished.set()
        return "late result"


async def echo(task: ProcessingTask) -> dict[str, object]:
    """Its name and what its dependencies returned."""
    return {"name": task.payload.get("name"), "deps": dict(task.dependency_results)}


async def boom(task: ProcessingTask) -> None:
    raise RuntimeError("speaker on fire")
