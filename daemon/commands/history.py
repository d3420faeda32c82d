"""`teddy history`: read, purge and export the interaction history.

    teddy history [--limit N] [--json]      the last N interactions, oldest first
    teddy history purge --before DATE       delete interactions started before DATE
    teddy history export                    everything as JSON Lines (with tasks and alerts)

The database is found like the daemon finds it: ``--db``, else ``history.path`` from the config
(``--config``, ``$TEDDY_CONFIG``, ...), else ``$STATE_DIRECTORY`` or ``~/.local/state/teddy``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any, TextIO

DEFAULT_LIMIT = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help="config file (to find history.path)")
    common.add_argument("--db", metavar="PATH", help="history database file (overrides config)")
    parser = subparsers.add_parser(
        "history",
        parents=[common],
        help="read, purge or export the interaction history",
        description="Show the last interactions, oldest first (a table, or JSON Lines).",
    )
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, metavar="N", help="how many (default 20)"
    )
    parser.add_argument("--json", action="store_true", help="JSON Lines, one per interaction")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    # SUPPRESS: a sub-command's unset --config must not clobber one given before it
    sub_common = argparse.ArgumentParser(add_help=False)
    sub_common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS)
    sub_common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS)
    purge = actions.add_parser(
        "purge",
        parents=[sub_common],
        help="delete interactions started before DATE",
        description="Delete interactions (with their tasks and alerts) started before DATE.",
    )
    purge.add_argument(
        "--before",
        required=True,
        metavar="DATE",
        help="YYYY-MM-DD or an ISO date-time (local time unless it has an offset), or Nd "
        "for N days ago",
    )
    actions.add_parser(
        "export",
        parents=[sub_common],
        help="print every interaction as JSON Lines",
        description="Every interaction, oldest first, with its tasks and alerts, as JSON Lines.",
    )
    parser.set_defaults(func=run)


def parse_before(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``2026-01-31``, ``2026-01-31T08:00``, ``2026-01-31T08:00+01:00`` or ``30d``."""
    text = text.strip()
    days = re.fullmatch(r"(\d+)d", text)
    if days:
        return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=int(days.group(1)))
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--before {text!r}: expected YYYY-MM-DD, an ISO date-time, or Nd (days ago)"
        ) from None
    return when if when.tzinfo is not None else when.astimezone()


def db_path(args: argparse.Namespace) -> Path:
    if getattr(args, "db", None):
        return Path(args.db).expanduser()
    from daemon.config import load_config
    from daemon.history import resolve_history_path

    return resolve_history_path(load_config(getattr(args, "config", None)).history.path)


def run(args: argparse.Namespace) -> int:
    from daemon.config import ConfigError
    from daemon.history import HistoryDbError

    try:
        path = db_path(args)
        before = parse_before(args.before) if args.action == "purge" else None
        if args.action != "purge" and args.limit < 0:
            raise ValueError("--limit must be >= 0")
    except (ConfigError, ValueError) as exc:
        print(f"teddy history: {exc}", file=sys.stderr)
        return 1
    if not path.exists():
        print(f"teddy history: no history yet ({path} does not exist)", file=sys.stderr)
        return 0
    try:
        return asyncio.run(_run(args, path, before, sys.stdout))
    except HistoryDbError as exc:
        print(f"teddy history: {exc}", file=sys.stderr)
        return 1


async def _run(
    args: argparse.Namespace, path: Path, before: dt.datetime | None, out: TextIO
) -> int:
    from daemon.history import HistoryStore

    async with await HistoryStore.open(path) as store:
        if before is not None:
            deleted = await store.purge_before(before)
            print(f"deleted {deleted} interaction(s) started before {before.isoformat()}")
        elif args.action == "export":
            async for row in store.export():
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        elif args.json:
            for row in await store.list(args.limit):
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        else:
            rows = await store.list(args.limit)
            out.write(format_table(rows) if rows else "no interactions recorded yet\n")
    return 0


def _clip(text: Any, width: int) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= width else value[: width - 1] + "…"


def _local(stamp: str) -> str:
    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return stamp


def format_table(rows: list[dict[str, Any]]) -> str:
    """A compact table: time, status, emotion, offline mark, what the child said → the reply."""
    header = f"{'started (local)':19}  {'status':11}  {'emotion':12}  said → reply"
    lines = [header, "-" * len(header)]
    for row in rows:
        said = _clip(row.get("transcript"), 40)
        reply = _clip(row.get("reply"), 60) + (" [offline]" if row.get("offline") else "")
        lines.append(
            f"{_local(row['started_at']):19}  {_clip(row['status'], 11):11}  "
            f"{_clip(row.get('emotion') or '-', 12):12}  {said or '-'} → {reply or '-'}"
        )
    return "\n".join(lines) + "\n"
