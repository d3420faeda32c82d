"""Alert channels: what an apprise destination costs next to the webhook channel, and whether
sending stalls the bear's event loop.

A receiver on 127.0.0.1 (aiohttp, in this process's loop) takes ``--sends`` alerts from the
webhook channel (the baseline: aiohttp, no threads) and then from an apprise ``json://`` channel
(apprise's worker threads). Prints the median send time of each and their ratio, and the worst
event-loop lag seen by a 5 ms ticker during each run (a blocking send would show up as lag of a
whole request). Also prints the one-off start-up cost of loading apprise (its plugins) and
building the channel. Data: synthetic alert events (one fear alert each) on loopback.

    .venv/bin/python benchmarks/alert_channels.py [--sends 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processors.alerts.channels import WebhookChannel
from tests.processors.alerts.receiver import webhook_receiver

EVENT = {
    "id": "bench",
    "interaction_id": "i1",
    "alerts": [{"rule": "emotion:fear", "severity": "warning", "message": "sounded afraid"}],
}


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - started - 0.005)


async def run(channel: Any, sends: int) -> tuple[float, float]:
    """Median send seconds and worst loop lag over ``sends`` sends."""
    lags: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(lags, stop))
    times = []
    for _ in range(sends):
        started = time.perf_counter()
        delivery = await channel.send(EVENT)
        times.append(time.perf_counter() - started)
        assert delivery.ok, delivery
    stop.set()
    await tick
    return statistics.median(times), max(lags)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=30)
    args = parser.parse_args()
    async with webhook_receiver() as rx:
        hook_s, hook_lag = await run(WebhookChannel(rx.url, secret="whsec_c2VjcmV0"), args.sends)
        started = time.perf_counter()
        from processors.alerts.channels.apprise import AppriseChannel

        channel = AppriseChannel("json://" + rx.url.removeprefix("http://"))
        load_s = time.perf_counter() - started
        apprise_s, apprise_lag = await run(channel, args.sends)
    print(f"sends per channel: {args.sends} (loopback receiver, synthetic fear alerts)")
    print(
        f"webhook (baseline)  median send {hook_s * 1000:7.2f} ms  worst loop lag "
        f"{hook_lag * 1000:6.2f} ms"
    )
    print(
        f"apprise json://     median send {apprise_s * 1000:7.2f} ms  worst loop lag "
        f"{apprise_lag * 1000:6.2f} ms"
    )
    print(f"apprise / webhook send time: {apprise_s / hook_s:.2f}x")
    print(f"one-off: loading apprise and building the channel {load_s * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
