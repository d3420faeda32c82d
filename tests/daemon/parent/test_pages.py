"""The HTML pages' forms and filters on a real server: conversations by day and word with paging,
a bad date shown in one line, the settings form refusing a bad value, deleting from the Privacy
page only when confirmed, and Now refreshing itself."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import aiohttp

from daemon.parent.routes.pages import PAGE_SIZE
from tests.daemon.parent.harness import Served


async def text(s: aiohttp.ClientSession, url: str) -> str:
    async with s.get(url) as resp:
        assert resp.status == 200
        return await resp.text()


async def test_conversations_by_day_word_and_bad_date(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, _ = browser
    store = served.parts.store
    assert store is not None
    (row,) = await store.fetch("SELECT started_at FROM interactions WHERE id = ?", [served.ids[2]])
    day = dt.datetime.fromisoformat(row["started_at"]).astimezone().date().isoformat()
    page = await text(s, served.url + f"/conversations?date={day}")
    # the fish, and the dark too when the test runs in the half hour after midnight
    assert page.count('class="card convo"') in (1, 2)
    assert "my fish died today" in page and "tall tower" not in page
    page = await text(s, served.url + "/conversations?q=tower")
    assert page.count('class="card convo"') == 1 and "tall tower" in page
    page = html.unescape(await text(s, served.url + "/conversations?date=31/12/2026"))
    assert "date='31/12/2026' is not an ISO date" in page


async def test_conversations_page_older_link(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, _ = browser
    store = served.parts.store
    assert store is not None
    for n in range(PAGE_SIZE):
        await store.record_captured(transcript=f"filler {n}")
    page = await text(s, served.url + "/conversations")
    assert page.count('class="card convo"') == PAGE_SIZE
    older = re.search(r'id="older" href="([^"]+)"', page)
    assert older is not None
    page = await text(s, served.url + older.group(1).replace("&amp;", "&"))
    assert page.count('class="card convo"') == 3 and 'id="older"' not in page


async def test_settings_form_refuses_a_bad_value(
    served: Served, browser: tuple[aiohttp.ClientSession, str], tmp_path: Path
) -> None:
    s, csrf = browser
    form = {"csrf": csrf, "parental.quiet_hours": "7pm-7am", "child.age": "5"}
    async with s.post(served.url + "/settings", data=form) as resp:
        assert resp.status == 400
        page = await resp.text()
    assert "parental.quiet_hours" in page and "HH:MM-HH:MM" in page
    assert not (tmp_path / "parent-settings.json").exists()
    form = {"csrf": csrf, "child.age": "seven"}
    async with s.post(served.url + "/settings", data=form) as resp:
        assert resp.status == 400 and "write a whole number" in await resp.text()


async def test_privacy_delete_needs_confirmation(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, csrf = browser
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    async with s.post(
        served.url + "/privacy/delete", data={"csrf": csrf, "before": tomorrow}
    ) as resp:
        assert "Tick the box" in await resp.text()
    assert len(await served.parts.store.fetch("SELECT id FROM interactions")) == 3  # type: ignore[union-attr]
    form = {"csrf": csrf, "before": tomorrow, "confirm": "yes"}
    async with s.post(served.url + "/privacy/delete", data=form) as resp:
        assert "Deleted 3 conversations" in await resp.text()
    assert await served.parts.store.fetch("SELECT id FROM interactions") == []  # type: ignore[union-attr]


async def test_now_refreshes_itself(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, _ = browser
    assert '<meta http-equiv="refresh" content="30">' in await text(s, served.url + "/")
