"""What the bear remembers, on the parent page and in ``/api/profile``, against a real server and a
real SQLite history: list with the conversation each fact came from, correct a value (the memory
step's privacy rule refuses personal data), forget one, forget all only when confirmed, memory
off said plainly, and no facts without a login or changes without the CSRF token."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from daemon.history.profile import facts, remember
from processors.results import ProfileFact
from tests.daemon.parent.harness import FACTS, PASSWORD, TOKEN, Served

AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEWEST_FIRST = [value for _, _, value, _, _ in reversed(FACTS)]


async def call(served: Served, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as s,
        s.request(method, served.url + path, headers=AUTH, **kw) as resp,
    ):
        return resp.status, await resp.json()


async def kept(served: Served) -> list[str]:
    assert served.parts.store is not None
    return [row["value"] for row in await facts(served.parts.store)]


def fact_id(served: Served, value: str) -> int:
    return served.facts[[v for _, _, v, _, _ in FACTS].index(value)]


# -- the API -----------------------------------------------------------------------------------


async def test_profile_lists_facts_newest_first_with_their_conversation(served: Served) -> None:
    status, body = await call(served, "GET", "/api/profile")
    assert status == 200
    assert body["enabled"] is True and body["max_prompt_facts"] == 6
    assert [f["value"] for f in body["facts"]] == NEWEST_FIRST
    fish = body["facts"][0]
    assert (fish["kind"], fish["subject"], fish["source"]) == ("pet", "fish", "llm")
    assert fish["interaction_id"] == served.ids[2]
    assert fish["id"] == fact_id(served, "Bubbles")
    assert dt.datetime.fromisoformat(fish["created_at"]) <= dt.datetime.now(dt.UTC)


async def test_correct_a_value(served: Served) -> None:
    fish = fact_id(served, "Bubbles")
    status, body = await call(served, "PUT", f"/api/profile/{fish}", json={"value": " Goldie  "})
    assert status == 200
    assert body["fact"]["value"] == "Goldie" and body["fact"]["source"] == "parent"
    assert body["fact"]["kind"] == "pet" and body["fact"]["id"] == fish
    assert "Goldie" in await kept(served) and "Bubbles" not in await kept(served)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("lives at Elm Street", "personal data"),
        ("mia@example.org", "personal data"),
        ("Bubbles the 2nd", "contains a number"),
        ("", "empty value"),
        ("a" * 41, "too long"),
    ],
)
async def test_correcting_to_what_must_not_be_kept_is_refused(
    served: Served, value: str, words: str
) -> None:
    fish = fact_id(served, "Bubbles")
    status, body = await call(served, "PUT", f"/api/profile/{fish}", json={"value": value})
    assert status == 400
    assert words in body["error"] and "\n" not in body["error"]
    assert "no personal data" in body["error"]  # says what is allowed
    assert await kept(served) == NEWEST_FIRST


@pytest.mark.parametrize(
    ("method", "path", "kw", "words"),
    [
        ("PUT", "/api/profile/abc", {"json": {"value": "Rex"}}, "fact id 'abc' is not a fact id"),
        ("PUT", "/api/profile/0", {"json": {"value": "Rex"}}, "fact id '0' is not a fact id"),
        ("DELETE", "/api/profile/-3", {}, "fact id '-3' is not a fact id"),
        ("PUT", "/api/profile/1", {"json": ["Rex"]}, 'a JSON object {"value"'),
        ("PUT", "/api/profile/1", {"json": {"value": 7}}, 'a JSON object {"value"'),
        ("PUT", "/api/profile/1", {"json": {"name": "Rex"}}, 'a JSON object {"value"'),
        ("PUT", "/api/profile/1", {"data": "value=Rex"}, 'a JSON object {"value"'),
    ],
)
async def test_bad_input_gets_one_clear_line(
    served: Served, method: str, path: str, kw: dict[str, Any], words: str
) -> None:
    status, body = await call(served, method, path, **kw)
    assert status == 400
    assert words in body["error"] and "\n" not in body["error"]
    assert await kept(served) == NEWEST_FIRST


async def test_correcting_into_a_fact_it_already_has_is_refused(served: Served) -> None:
    assert served.parts.store is not None
    await remember(
        served.parts.store,
        [ProfileFact("likes", "", "dinosaurs")],
        source="llm",
        interaction_id=None,
    )
    dinos = next(r["id"] for r in await facts(served.parts.store) if r["value"] == "dinosaurs")
    status, body = await call(
        served, "PUT", f"/api/profile/{dinos}", json={"value": "building towers"}
    )
    assert status == 400 and "already has 'building towers'" in body["error"]
    assert sorted(await kept(served)) == sorted([*NEWEST_FIRST, "dinosaurs"])


async def test_unknown_fact_is_404(served: Served) -> None:
    status, body = await call(served, "PUT", "/api/profile/999", json={"value": "Rex"})
    assert (status, body) == (404, {"error": "no fact 999"})
    status, body = await call(served, "DELETE", "/api/profile/999")
    assert (status, body) == (404, {"error": "no fact 999"})


async def test_forget_one_then_all(served: Served) -> None:
    dark = fact_id(served, "the dark")
    assert await call(served, "DELETE", f"/api/profile/{dark}") == (200, {"forgot": dark})
    assert "the dark" not in await kept(served) and len(await kept(served)) == 3
    status, _ = await call(served, "DELETE", f"/api/profile/{dark}")
    assert status == 404  # already gone
    assert await call(served, "DELETE", "/api/profile") == (200, {"forgot": 3})
    status, body = await call(served, "GET", "/api/profile")
    assert status == 200 and body["facts"] == []


async def test_memory_off_is_said(tmp_path: Path) -> None:
    served = await Served.start(tmp_path, extra_toml="[memory]\nenabled = false\n")
    try:
        _, body = await call(served, "GET", "/api/profile")
        assert body["enabled"] is False and len(body["facts"]) == 4  # kept earlier, still shown
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            async with s.post(served.url + "/login", data={"password": PASSWORD}) as resp:
                assert resp.status == 200
            async with s.get(served.url + "/memory") as resp:
                page = html.unescape(await resp.text())
        assert "Memory is off" in page and "memory.enabled = false" in page
        assert "Memory is on" not in page and "Bubbles" in page
    finally:
        await served.stop()


# -- who may ---------------------------------------------------------------------------------


async def test_no_facts_and_no_changes_without_login(served: Served) -> None:
    fish = fact_id(served, "Bubbles")
    async with aiohttp.ClientSession() as s:
        async with s.get(served.url + "/api/profile") as resp:
            assert resp.status == 401 and "Bubbles" not in await resp.text()
        async with s.get(served.url + "/memory", allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/login"
        for method, path in (
            ("PUT", f"/api/profile/{fish}"),
            ("DELETE", f"/api/profile/{fish}"),
            ("DELETE", "/api/profile"),
        ):
            async with s.request(method, served.url + path, json={"value": "Goldie"}) as resp:
                assert resp.status == 401, (method, path)
        for path in (f"/memory/{fish}/forget", f"/memory/{fish}/correct", "/memory/forget-all"):
            form = {"value": "Goldie", "confirm": "yes"}
            async with s.post(served.url + path, data=form, allow_redirects=False) as resp:
                assert resp.status == 303 and resp.headers["Location"] == "/login", path
        wrong = {"Authorization": "Bearer wrong"}
        async with s.delete(served.url + "/api/profile", headers=wrong) as resp:
            assert resp.status == 401
    assert await kept(served) == NEWEST_FIRST


async def test_changes_without_csrf_are_refused(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, csrf = browser
    fish = fact_id(served, "Bubbles")
    async with s.get(served.url + "/api/profile") as resp:
        assert resp.status == 200  # a session reads without the token
    for method, path in (
        ("PUT", f"/api/profile/{fish}"),
        ("DELETE", f"/api/profile/{fish}"),
        ("DELETE", "/api/profile"),
    ):
        async with s.request(method, served.url + path, json={"value": "Goldie"}) as resp:
            assert resp.status == 403, (method, path)
            assert "CSRF" in (await resp.json())["error"]
    for path in (f"/memory/{fish}/forget", f"/memory/{fish}/correct", "/memory/forget-all"):
        form = {"csrf": "wrong", "value": "Goldie", "confirm": "yes"}
        async with s.post(served.url + path, data=form) as resp:
            assert resp.status == 403, path
    assert await kept(served) == NEWEST_FIRST
    headers = {"X-CSRF-Token": csrf}
    async with s.put(
        served.url + f"/api/profile/{fish}", json={"value": "Goldie"}, headers=headers
    ) as resp:
        assert resp.status == 200
    async with s.delete(served.url + "/api/profile", headers=headers) as resp:
        assert await resp.json() == {"forgot": 4}


# -- the page --------------------------------------------------------------------------------


async def page_of(s: aiohttp.ClientSession, url: str) -> str:
    async with s.get(url + "/memory") as resp:
        assert resp.status == 200
        return html.unescape(await resp.text())


def card(page: str, fact: int) -> str:
    found = re.search(rf'<article class="card fact" id="fact-{fact}">(.*?)</article>', page, re.S)
    assert found is not None, f"fact {fact} is not on the page"
    return found.group(1)


async def test_page_shows_each_fact_with_its_conversation_and_privacy(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, _ = browser
    page = await page_of(s, served.url)
    assert 'href="/memory" class="here"' in page
    assert "Memory is on" in page and "at most 6" in page
    assert "nothing else leaves the device" in page
    assert page.count('class="card fact"') == 4
    order = [page.index(f"{value}</p>") for value in NEWEST_FIRST]
    assert order == sorted(order)  # newest first
    fish = card(page, fact_id(served, "Bubbles"))
    assert "pet" in fish and "fish" in fish and "picked out by Claude" in fish
    assert f'href="/conversations?id={served.ids[2]}"' in fish
    assert "First heard" in fish
    assert "heard in a plain sentence" in card(page, fact_id(served, "Mia"))


async def test_correct_on_the_page_and_refusal(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, csrf = browser
    fish = fact_id(served, "Bubbles")
    form = {"csrf": csrf, "value": "Goldie"}
    async with s.post(served.url + f"/memory/{fish}/correct", data=form) as resp:
        assert resp.status == 200 and resp.url.path == "/memory"
        page = html.unescape(await resp.text())
    assert "Saved: the bear now remembers \u201cGoldie\u201d" in page
    assert "corrected by you" in card(page, fish) and "Goldie" in card(page, fish)
    form = {"csrf": csrf, "value": "my phone is secret"}
    async with s.post(served.url + f"/memory/{fish}/correct", data=form) as resp:
        assert resp.status == 400
        page = html.unescape(await resp.text())
    (error,) = re.findall(r'<p class="error" role="alert">(.*?)</p>', page)
    assert "personal data" in error
    assert "Goldie" in await kept(served) and "my phone is secret" not in await kept(served)


async def test_forget_one_on_the_page(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, csrf = browser
    dark = fact_id(served, "the dark")
    async with s.post(served.url + f"/memory/{dark}/forget", data={"csrf": csrf}) as resp:
        page = html.unescape(await resp.text())
    assert "The bear has forgotten that." in page and f'id="fact-{dark}"' not in page
    assert "the dark" not in await kept(served)
    async with s.post(served.url + f"/memory/{dark}/forget", data={"csrf": csrf}) as resp:
        assert "already forgotten" in await resp.text()


async def test_forget_everything_needs_confirmation(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, csrf = browser
    async with s.post(served.url + "/memory/forget-all", data={"csrf": csrf}) as resp:
        assert "Tick the box" in await resp.text()
    assert await kept(served) == NEWEST_FIRST
    form = {"csrf": csrf, "confirm": "yes"}
    async with s.post(served.url + "/memory/forget-all", data=form) as resp:
        page = html.unescape(await resp.text())
    assert "forgotten all 4 facts" in page and "The bear remembers nothing yet." in page
    assert 'id="forget-all"' not in page
    assert await kept(served) == []


async def test_facts_outlive_deleted_conversations_without_a_link(
    served: Served, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    s, csrf = browser
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    form = {"csrf": csrf, "before": tomorrow, "confirm": "yes"}
    async with s.post(served.url + "/privacy/delete", data=form) as resp:
        assert "Deleted 3 conversations" in await resp.text()
    page = await page_of(s, served.url)
    assert page.count('class="card fact"') == 4 and "/conversations?id=" not in page
