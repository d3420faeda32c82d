"""daemon/ops/collector.py: what is alive at ready is kept out of later collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from daemon.ops.collector import freeze_startup_objects


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # this test process starts and stops many daemons: leave nothing frozen


def test_everything_alive_is_frozen_and_new_objects_are_not(unfrozen: None) -> None:
    alive = object.__new__(type("Alive", (), {}))
    frozen = freeze_startup_objects()
    assert frozen == gc.get_freeze_count() > 1000
    assert not any(o is alive for o in gc.get_objects())  # out of the collector's sight
    later = object.__new__(type("Later", (), {}))
    assert any(o is later for o in gc.get_objects())  # what replies create is still collected
