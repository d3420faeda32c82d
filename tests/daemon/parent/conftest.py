"""Fixtures of the parent-page tests: a served page on a real history, and a logged-in client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.daemon.parent.harness import PASSWORD, Served


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    s = await Served.start(tmp_path)
    yield s
    await s.stop()


@pytest.fixture
async def browser(served: Served) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    """A logged-in session and its CSRF token."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        async with s.post(served.url + "/login", data={"password": PASSWORD}) as resp:
            page = await resp.text()
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found is not None
        yield s, found.group(1)
