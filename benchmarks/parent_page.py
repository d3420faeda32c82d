"""Parent page weight and time to first paint, in a real headless Chromium.

Data: a synthetic history made in this run (seeded random, ``--conversations`` interactions spread
over the last 30 days with emotions and alerts), written through the real history store, served
by the daemon's HTTP server with the parent site on 127.0.0.1.

Prints, per page: bytes the browser needs (HTML + the stylesheet; no script, no images) against
the 300 KB goal, and first-contentful-paint from Chromium's performance API against a bare
aiohttp page (``<p>hello</p>``) loaded by the same browser in the same run (ratio 1.00 = as fast
as an empty page). Medians of ``--rounds`` loads.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.daemon.parent.harness import PASSWORD, ServedInThread
from tests.daemon.parent.test_browser import PHONE, chromium

GOAL_BYTES = 300 * 1024
PAGES = (
    "/",
    "/conversations",
    "/feelings?days=30&bucket=day",
    "/feelings?days=30&bucket=hour",
    "/alerts",
    "/memory",
    "/settings",
    "/privacy",
)
EMOTIONS = ("joy", "neutral", "sadness", "fear", "surprise", "anger", "trust")
WORDS = "the dog ran to the park and I saw a big red ball with my friend at school today".split()


async def seed_many(store: object, count: int, rng: random.Random) -> None:
    now = dt.datetime.now(dt.UTC)
    for _ in range(count):
        started = now - dt.timedelta(minutes=rng.randint(5, 30 * 24 * 60))
        iid = await store.record_captured(started_at=started)  # type: ignore[attr-defined]
        said = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        emotion = rng.choice(EMOTIONS)
        await store.update_stage(  # type: ignore[attr-defined]
            iid, "reply", status="replied", transcript=said, emotion=emotion, reply="Tell me more!"
        )
        await store.finish(iid, "done", ended_at=started + dt.timedelta(seconds=15))  # type: ignore[attr-defined]
        if emotion in ("fear", "sadness") and rng.random() < 0.3:
            await store.record_alert(iid, rule=f"emotion:{emotion}", severity="high")  # type: ignore[attr-defined]


def bare_server() -> tuple[str, asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def start() -> str:
        app = web.Application()

        async def hello(request: web.Request) -> web.Response:
            return web.Response(text="<!doctype html><p>hello</p>", content_type="text/html")

        app.router.add_get("/", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}/"

    return asyncio.run_coroutine_threadsafe(start(), loop).result(), loop


FCP_JS = (
    "const e = performance.getEntriesByName('first-contentful-paint')[0];"
    "return e ? e.startTime : null;"
)


def first_paint(browser: object, url: str) -> float:
    browser.get(url)  # type: ignore[attr-defined]
    for _ in range(50):
        value = browser.execute_script(FCP_JS)  # type: ignore[attr-defined]
        if value is not None:
            return float(value)
    raise RuntimeError(f"no first-contentful-paint entry for {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as folder:
        thread = ServedInThread(Path(folder) / "state", seeded=False)
        thread.call(seed_many(thread.served.parts.store, args.conversations, rng))
        bare_url, bare_loop = bare_server()
        browser = chromium(Path(folder))
        browser.set_window_size(*PHONE)
        try:
            url = thread.served.url
            browser.get(url + "/login")
            browser.find_element("name", "password").send_keys(PASSWORD)
            browser.find_element("css selector", "#login button").click()
            cookie = browser.get_cookie("teddy_parent")
            assert cookie is not None, "login failed"
            css = len(urllib.request.urlopen(url + "/static/style.css").read())
            base = statistics.median(first_paint(browser, bare_url) for _ in range(args.rounds))
            print(f"data: {args.conversations} synthetic conversations over 30 days (seed 13)")
            print(f"baseline: bare page first paint {base:.0f} ms (median of {args.rounds})")
            print(f"{'page':34} {'bytes':>8} {'of 300 KB':>9} {'FCP ms':>7} {'x bare':>7}")
            for page in PAGES:
                request = urllib.request.Request(
                    url + page, headers={"Cookie": f"teddy_parent={cookie['value']}"}
                )
                html = len(urllib.request.urlopen(request).read())
                fcp = statistics.median(
                    first_paint(browser, url + page) for _ in range(args.rounds)
                )
                weight = html + css
                print(
                    f"{page:34} {weight:8d} {weight / GOAL_BYTES:9.3f} {fcp:7.0f} {fcp / base:7.2f}"
                )
        finally:
            browser.quit()
            thread.close()
            bare_loop.call_soon_threadsafe(bare_loop.stop)


if __name__ == "__main__":
    main()
