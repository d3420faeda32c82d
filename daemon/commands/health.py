"""`teddy health`: ask a running daemon's /healthz; exit 0 when healthy, 1 otherwise.

Degraded counts as "otherwise" (DESIGN.md: exit 0 healthy, 1 otherwise), so a script can tell a
bear that works fully from one that limps; the printed JSON says why.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DEFAULT_TIMEOUT_S = 5.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "health",
        help="query a running daemon's health; exit 0 healthy, 1 otherwise",
        description=(
            "Query /healthz of a running teddy daemon and print its JSON answer. "
            "Exit status: 0 when healthy, 1 when degraded, unhealthy or unreachable."
        ),
    )
    parser.add_argument(
        "--url",
        help="daemon URL (default: from config health.host/health.port, http://127.0.0.1:8765); "
        "a URL without a path gets /healthz",
    )
    parser.add_argument("--token", help="bearer token (default: config health.token)")
    parser.add_argument("--config", metavar="PATH", help="config file to read health.* from")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds to wait (default 5)"
    )
    parser.set_defaults(func=run)


def _from_config(path: str | None) -> tuple[str, int, str | None]:
    """health.host, health.port, health.token from the config (defaults when unavailable)."""
    from daemon.config import load_config

    health = load_config(path).health
    return health.host, health.port, health.token


def healthz_url(url: str | None, host: str, port: int) -> str:
    if url is None:
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"  # a wildcard bind is reachable on loopback
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.path in ("", "/"):
        parts = parts._replace(path="/healthz")
    return urllib.parse.urlunsplit(parts)


def query(url: str, token: str | None, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:  # 503 and 401 still carry a body
        return int(exc.code), exc.read()


def run(args: argparse.Namespace) -> int:
    host, port, token = "127.0.0.1", 8765, None
    if args.url is None or args.token is None:
        try:
            host, port, token = _from_config(args.config)
        except Exception as exc:
            if args.url is None:
                print(f"teddy health: cannot read the config: {exc}", file=sys.stderr)
                return 1
    url = healthz_url(args.url, host, port)
    token = args.token if args.token is not None else token
    try:
        status, body = query(url, token, args.timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"teddy health: no daemon answering at {url}: {reason}", file=sys.stderr)
        return 1
    try:
        data: Any = json.loads(body)
    except ValueError:
        print(body.decode(errors="replace"))
        print(f"teddy health: HTTP {status}, not a JSON health answer", file=sys.stderr)
        return 1
    print(json.dumps(data, indent=2))
    if status == 401:
        print("teddy health: unauthorized: pass --token or set health.token", file=sys.stderr)
        return 1
    healthy = status == 200 and isinstance(data, dict) and data.get("status") == "healthy"
    return 0 if healthy else 1
