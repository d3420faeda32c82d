"""Fixtures of the daemon tests: a history store and a processor that writes to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.history import HistoryStore, HistoryWriter
from processors import AdvancedAsyncProcessor, ProcessingType, create_processor


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[HistoryStore]:
    s = await HistoryStore.open(tmp_path / "h.sqlite3")
    yield s
    await s.close()


@pytest.fixture
async def processor(store: HistoryStore) -> AsyncIterator[AdvancedAsyncProcessor]:
    p = await create_processor(max_workers=4)
    p.register_processor(ProcessingType.DATABASE_OPERATION, HistoryWriter(store))
    yield p
    await p.shutdown(timeout=5)
