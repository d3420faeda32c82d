"""The Feelings SVG (points, moments, escaping, empty days), the child's words escaped on every
page, and the page's templates and stylesheet declared as package data (they ship in the wheel)."""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from daemon.parent import chart
from tests.daemon.parent.harness import PASSWORD, Served

REPO = Path(__file__).resolve().parents[3]
PARENT = REPO / "daemon" / "parent"


def data(moments: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {
        "bucket": "day",
        "buckets": [
            {"key": "2026-12-01", "total": 3, "counts": {"joy": 2, "fear": 1}},
            {"key": "2026-12-02", "total": 0, "counts": {}},
            {"key": "2026-12-03", "total": 1, "counts": {"joy": 1}},
        ],
        "moments": moments or [],
    }


def test_one_point_per_day_and_emotion_heard_and_one_line_per_emotion() -> None:
    svg = chart.render(data())
    assert svg.count('class="point"') == 3
    assert svg.count('class="line"') == 2
    assert [e for e, _ in chart.legend(data())] == ["fear", "joy"]


def test_moments_link_to_their_conversation_and_are_escaped() -> None:
    moment = {
        "id": "abc",
        "bucket": "2026-12-01",
        "emotion": "fear",
        "transcript": "<script>alert(1)</script>",
    }
    svg = chart.render(data([moment]))
    assert svg.count('class="moment"') == 1
    assert 'href="/conversations?id=abc"' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_no_feelings_draws_an_empty_axis() -> None:
    empty: dict[str, object] = {"bucket": "hour", "moments": []}
    empty["buckets"] = [{"key": f"{h:02d}", "total": 0, "counts": {}} for h in range(24)]
    svg = chart.render(empty)
    assert svg.startswith("<svg") and 'class="point"' not in svg


def test_templates_and_stylesheet_are_package_data() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["daemon.parent"]
    files = [p for folder in ("templates", "static") for p in (PARENT / folder).iterdir()]
    assert files
    for path in files:
        relative = str(path.relative_to(PARENT))
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    s = await Served.start(tmp_path)
    await s.parts.store.update_stage(  # type: ignore[union-attr]
        s.ids[0], "stt", transcript="<img src=x onerror=alert(1)>"
    )
    yield s
    await s.stop()


async def test_the_childs_words_are_escaped_on_every_page(served: Served) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as s:
        async with s.post(served.url + "/login", data={"password": PASSWORD}) as resp:
            assert resp.status == 200
        for path in ("/", "/conversations", "/feelings?days=30", "/alerts"):
            async with s.get(served.url + path) as resp:
                page = await resp.text()
            assert "<img src=x" not in page, path
