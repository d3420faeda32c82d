"""Event-loop lag monitor."""

from __future__ import annotations

import asyncio
import time

import pytest

from daemon.ops.looplag import LoopLagMonitor


async def _block_loop(seconds: float) -> None:
    time.sleep(seconds)  # noqa: ASYNC251 - blocking the loop is the thing being measured


async def test_idle_loop_has_small_lag() -> None:
    monitor = LoopLagMonitor(interval_s=0.001)
    lag = await monitor.sample()
    assert 0.0 <= lag < 0.5
    assert monitor.current_s == lag
    assert monitor.samples == 1


async def test_blocked_loop_is_measured() -> None:
    monitor = LoopLagMonitor(interval_s=0.001)
    lag, _ = await asyncio.gather(monitor.sample(), _block_loop(0.1))
    assert lag >= 0.09
    assert monitor.max_s == lag
    assert monitor.max_ever_s == lag


async def test_window_forgets_old_samples_but_max_ever_keeps_them() -> None:
    monitor = LoopLagMonitor(interval_s=0.001, window=2)
    big, _ = await asyncio.gather(monitor.sample(), _block_loop(0.2))
    await monitor.sample()
    await monitor.sample()
    assert monitor.max_s < big
    assert monitor.max_ever_s == big


async def test_listeners_get_every_sample_and_a_broken_one_is_contained() -> None:
    seen: list[float] = []

    def broken(_: float) -> None:
        raise RuntimeError("listener bug")

    monitor = LoopLagMonitor(interval_s=0.001, on_sample=broken)
    monitor.add_listener(seen.append)
    await monitor.sample()
    assert len(seen) == 1


async def test_start_samples_in_background_and_stop_is_clean() -> None:
    got = asyncio.Event()
    monitor = LoopLagMonitor(interval_s=0.001, on_sample=lambda _: got.set())
    monitor.start()
    monitor.start()  # idempotent
    assert monitor.running
    await asyncio.wait_for(got.wait(), timeout=5)
    await monitor.stop()
    assert not monitor.running
    await monitor.stop()
    assert monitor.snapshot()["samples"] >= 1


def test_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        LoopLagMonitor(interval_s=0)
    with pytest.raises(ValueError, match="window"):
        LoopLagMonitor(window=0)
