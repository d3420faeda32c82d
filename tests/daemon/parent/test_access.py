"""Who gets in: nothing private without a login or the health token, CSRF on every change, login
backoff, cookie flags, the bind rule, and the health paths unchanged (real server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from daemon.ops.http import HealthServerError
from tests.daemon.parent.harness import PASSWORD, TOKEN, Served

PAGES = ("/", "/conversations", "/feelings", "/alerts", "/memory", "/settings", "/privacy")
API_GETS = (
    "/api/now",
    "/api/interactions",
    "/api/feelings",
    "/api/alerts",
    "/api/settings",
    "/api/export",
    "/api/profile",
)
CHANGES = (
    ("POST", "/api/alerts/1/ack"),
    ("POST", "/api/alerts/test"),
    ("PUT", "/api/settings"),
    ("DELETE", "/api/settings"),
    ("DELETE", "/api/interactions?before=2100-01-01"),
    ("POST", "/alerts/1/ack"),
    ("POST", "/settings"),
    ("POST", "/settings/reset"),
    ("POST", "/privacy/delete"),
    ("PUT", "/api/profile/1"),
    ("DELETE", "/api/profile/1"),
    ("DELETE", "/api/profile"),
    ("POST", "/memory/1/forget"),
    ("POST", "/memory/1/correct"),
    ("POST", "/memory/forget-all"),
    ("POST", "/logout"),
)


def client() -> aiohttp.ClientSession:
    # unsafe: keep cookies for an IP-address host (127.0.0.1)
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def login(session: aiohttp.ClientSession, url: str) -> str:
    """Log in; the CSRF token from the page's forms."""
    async with session.post(url + "/login", data={"password": PASSWORD}) as resp:
        assert resp.status == 200, await resp.text()
    async with session.get(url + "/settings") as resp:
        found = re.search(r'name="csrf" value="([^"]+)"', await resp.text())
    assert found is not None
    return found.group(1)


async def test_nothing_private_without_login(served: Served) -> None:
    secret = "scared of the dark"
    async with client() as s:
        for path in PAGES:
            async with s.get(served.url + path, allow_redirects=False) as resp:
                assert resp.status == 303, path
                assert resp.headers["Location"] == "/login"
        for path in API_GETS:
            async with s.get(served.url + path) as resp:
                assert resp.status == 401, path
                assert secret not in await resp.text()
        for method, path in CHANGES:
            async with s.request(method, served.url + path, allow_redirects=False) as resp:
                assert resp.status in (303, 401), (method, path)
        async with s.get(served.url + "/login") as resp:
            assert secret not in await resp.text()


async def test_wrong_token_and_cookie_get_nothing(served: Served) -> None:
    async with client() as s:
        headers = {"Authorization": "Bearer wrong"}
        async with s.get(served.url + "/api/interactions", headers=headers) as resp:
            assert resp.status == 401
        s.cookie_jar.update_cookies({"teddy_parent": "forged"})
        async with s.get(served.url + "/api/interactions") as resp:
            assert resp.status == 401


async def test_bearer_token_reads_the_api(served: Served) -> None:
    async with client() as s:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with s.get(served.url + "/api/interactions", headers=headers) as resp:
            assert resp.status == 200
            body = await resp.json()
    assert body["interactions"][0]["transcript"] == "my fish died today"


async def test_session_cookie_flags_and_logout(served: Served) -> None:
    async with client() as s:
        async with s.post(
            served.url + "/login", data={"password": PASSWORD}, allow_redirects=False
        ) as resp:
            assert resp.status == 303
            cookie = resp.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert "Secure" not in cookie  # plain HTTP on the home network
        csrf = await login(s, served.url)
        async with s.post(served.url + "/logout", data={"csrf": csrf}) as resp:
            assert resp.url.path == "/login"
        async with s.get(served.url + "/api/alerts") as resp:
            assert resp.status == 401


async def test_cookie_is_secure_behind_tls_proxy(served: Served) -> None:
    async with client() as s:
        async with s.post(
            served.url + "/login",
            data={"password": PASSWORD},
            headers={"X-Forwarded-Proto": "https"},
            allow_redirects=False,
        ) as resp:
            assert "Secure" in resp.headers["Set-Cookie"]


async def test_changes_without_csrf_are_refused(served: Served) -> None:
    alert_id = (await served.parts.store.fetch("SELECT id FROM alerts"))[0]["id"]  # type: ignore[union-attr]
    async with client() as s:
        csrf = await login(s, served.url)
        async with s.post(served.url + f"/api/alerts/{alert_id}/ack") as resp:
            assert resp.status == 403
            assert "CSRF" in (await resp.json())["error"]
        async with s.post(served.url + f"/alerts/{alert_id}/ack", data={"csrf": "wrong"}) as resp:
            assert resp.status == 403
        rows = await served.parts.store.fetch("SELECT acknowledged_at FROM alerts")  # type: ignore[union-attr]
        assert rows[0]["acknowledged_at"] is None
        headers = {"X-CSRF-Token": csrf}
        async with s.post(served.url + f"/api/alerts/{alert_id}/ack", headers=headers) as resp:
            assert resp.status == 200
    rows = await served.parts.store.fetch("SELECT acknowledged_at FROM alerts")  # type: ignore[union-attr]
    assert rows[0]["acknowledged_at"] is not None


async def test_wrong_passwords_are_rate_limited(served: Served) -> None:
    async with client() as s:
        statuses = []
        for _ in range(5):
            async with s.post(served.url + "/login", data={"password": "nope nope"}) as resp:
                statuses.append(resp.status)
                retry = resp.headers.get("Retry-After")
        assert statuses[:3] == [401, 401, 401]
        assert statuses[3] in (401, 429) and statuses[4] == 429
        assert retry is not None and int(retry) >= 1
        # locked out: even the right password waits
        async with s.post(served.url + "/login", data={"password": PASSWORD}) as resp:
            assert resp.status == 429
            assert "wait" in (await resp.text()).lower()


async def test_loopback_without_password_says_how_and_shows_nothing(tmp_path: Path) -> None:
    served = await Served.start(tmp_path, password=None)
    try:
        async with client() as s:
            async with s.get(served.url + "/login") as resp:
                page = await resp.text()
            assert "teddy parent set-password" in page
            assert "fish" not in page
            async with s.post(served.url + "/login", data={"password": ""}) as resp:
                assert resp.status == 401
            async with s.get(served.url + "/", allow_redirects=False) as resp:
                assert resp.status == 303
    finally:
        await served.stop()


async def test_lan_bind_without_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HealthServerError, match=r"parent password.*set-password"):
        await Served.start(tmp_path, password=None, host="0.0.0.0", seeded=False)


async def test_lan_bind_with_password_and_token_starts(tmp_path: Path) -> None:
    served = await Served.start(tmp_path, host="0.0.0.0", seeded=False)
    await served.stop()


async def test_health_paths_keep_their_token_rule(served: Served) -> None:
    async with client() as s:
        async with s.get(served.url + "/healthz") as resp:
            assert resp.status == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with s.get(served.url + "/healthz", headers=headers) as resp:
            assert resp.status == 200
        # a parent session is not a health token
        await login(s, served.url)
        async with s.get(served.url + "/metrics") as resp:
            assert resp.status == 401


async def test_pages_send_security_headers(served: Served) -> None:
    async with client() as s:
        await login(s, served.url)
        async with s.get(served.url + "/conversations") as resp:
            assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
            assert resp.headers["Cache-Control"] == "no-store"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_parallel_guesses_still_meet_the_backoff(served: Served) -> None:
    passwords = served.site.gate.passwords
    real_verify = passwords.verify
    checked: list[str] = []

    def counting_verify(password: str) -> bool:
        checked.append(password)
        return real_verify(password)

    passwords.verify = counting_verify  # type: ignore[method-assign]

    async def guess(s: aiohttp.ClientSession) -> int:
        async with s.post(served.url + "/login", data={"password": "wrong guess"}) as resp:
            return resp.status

    async with client() as s:
        statuses = await asyncio.gather(*(guess(s) for _ in range(8)))
    # 3 free tries, the 4th starts a 1 s wait: the other guesses are turned away unchecked
    assert statuses.count(401) == 3 and statuses.count(429) == 5
    assert len(checked) == 4
