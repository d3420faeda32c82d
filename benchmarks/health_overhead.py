"""Cost of observability: processor throughput with metrics hooks, loop-lag monitor and a scraped
health server, against the bare processor; and /healthz latency against a bare aiohttp endpoint.

Prints ratios measured in this run (lower is better; 1.00 = no overhead).
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from daemon.ops.health import HealthRegistry
from daemon.ops.health_checks import db_check, loop_lag_check, processor_check
from daemon.ops.http import HealthServer
from daemon.ops.looplag import LoopLagMonitor
from daemon.ops.metrics import TeddyMetrics
from processors import ProcessingTask, create_processor

TASKS = 4000
ROUNDS = 5
REQUESTS = 200


async def run_tasks(hooks: bool, observed: bool) -> float:
    processor = await create_processor(max_workers=4, queue_size=TASKS + 10)
    processor.register_processor("noop", lambda task: task.payload)
    extras: list[Any] = []
    metrics = TeddyMetrics()
    if hooks:
        metrics.attach(processor)
    if observed:
        monitor = LoopLagMonitor(interval_s=0.05, on_sample=metrics.observe_loop_lag)
        monitor.start()
        health = HealthRegistry()
        health.register("processor", processor_check(processor))
        health.register("loop", loop_lag_check(monitor))
        server = HealthServer(
            health, metrics, port=0, processor_metrics=processor.get_performance_metrics
        )
        await server.start()
        session = aiohttp.ClientSession()
        scraper = asyncio.create_task(scrape(session, server.url))
        extras = [monitor, server, session, scraper]
    start = time.perf_counter()
    ids = [await processor.submit_task(ProcessingTask("noop", {"i": i})) for i in range(TASKS)]
    for task_id in ids:
        await processor.wait_for_task(task_id, timeout=60)
    elapsed = time.perf_counter() - start
    if extras:
        monitor, server, session, scraper = extras
        scraper.cancel()
        await asyncio.gather(scraper, return_exceptions=True)
        await session.close()
        await server.stop()
        await monitor.stop()
    await processor.shutdown()
    return elapsed


async def scrape(session: aiohttp.ClientSession, url: str) -> None:
    while True:
        for path in ("/healthz", "/metrics", "/status"):
            async with session.get(url + path) as resp:
                await resp.read()
        await asyncio.sleep(0.05)


async def request_latencies(url: str) -> list[float]:
    out = []
    async with aiohttp.ClientSession() as session:
        for _ in range(REQUESTS):
            start = time.perf_counter()
            async with session.get(url) as resp:
                await resp.read()
            out.append(time.perf_counter() - start)
    return out


async def healthz_vs_bare() -> tuple[float, float]:
    async def bare(request: web.Request) -> web.Response:
        return web.json_response({"status": "healthy"})

    app = web.Application()
    app.router.add_get("/", bare)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    bare_url = f"http://127.0.0.1:{runner.addresses[0][1]}/"

    processor = await create_processor(max_workers=2)
    monitor = LoopLagMonitor()
    monitor.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "h.sqlite3"
        sqlite3.connect(db).close()
        health = HealthRegistry()
        health.register("processor", processor_check(processor))
        health.register("loop", loop_lag_check(monitor))
        health.register("db", db_check(db))
        server = HealthServer(health, TeddyMetrics(), port=0)
        await server.start()
        base = statistics.median(await request_latencies(bare_url))
        full = statistics.median(await request_latencies(server.url + "/healthz"))
        await server.stop()
    await monitor.stop()
    await processor.shutdown()
    await runner.cleanup()
    return base, full


async def main() -> None:
    bare, hooked, observed = [], [], []
    for _ in range(ROUNDS):  # interleaved so drift affects every variant alike
        bare.append(await run_tasks(hooks=False, observed=False))
        hooked.append(await run_tasks(hooks=True, observed=False))
        observed.append(await run_tasks(hooks=True, observed=True))
    b, h, o = (statistics.median(x) for x in (bare, hooked, observed))
    print(
        f"processor, {TASKS} no-op tasks: bare {b:.3f} s; metrics hooks {h:.3f} s "
        f"(ratio {h / b:.2f}, {(h - b) / TASKS * 1e6:.0f} us/task); + loop-lag monitor and "
        f"/healthz,/metrics,/status scraped every 50 ms {o:.3f} s (ratio {o / b:.2f})"
    )
    base, full = await healthz_vs_bare()
    print(
        f"/healthz (processor+loop+db checks) p50 {full * 1000:.2f} ms vs bare endpoint "
        f"{base * 1000:.2f} ms, ratio {full / base:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
