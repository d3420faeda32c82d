from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from processors import AdvancedAsyncProcessor, ProcessingTask


@pytest.fixture
async def processor() -> AsyncIterator[AdvancedAsyncProcessor]:
    proc = AdvancedAsyncProcessor(max_workers=4, queue_size=0)
    await proc.start()
    yield proc
    await proc.shutdown(timeout=5)


class Blocker:
    """A coroutine processor that runs until the test releases it; records starts in order."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = asyncio.Event()
        self.entered = asyncio.Event()
        self.cancelled: list[str] = []

    async def __call__(self, task: ProcessingTask) -> Any:
        self.started.append(task.id)
        self.entered.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.append(task.id)
            raise
        return task.payload.get("value")


@pytest.fixture
def blocker() -> Blocker:
    return Blocker()
