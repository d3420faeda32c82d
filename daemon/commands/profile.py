"""`teddy profile`: what the bear remembers about the child; forget one fact or all.

    teddy profile show [--json]          every fact, newest first (a table, or JSON Lines)
    teddy profile forget ID              delete one fact (its id from `show`)
    teddy profile forget --all           delete the whole profile

The database is found like `teddy history` finds it (``--db``, else ``history.path``...). A running
daemon notices the change before its next reply.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from daemon.commands.history import db_path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help="config file (to find history.path)")
    common.add_argument("--db", metavar="PATH", help="history database file (overrides config)")
    parser = subparsers.add_parser(
        "profile",
        help="what the bear remembers about the child; forget one fact or all",
        description="Show or delete the facts the bear remembers about the child.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        parents=[common],
        help="list every remembered fact, newest first",
        description="Every remembered fact with its id, kind, when and from which interaction.",
    )
    show.add_argument("--json", action="store_true", help="JSON Lines, one per fact")
    forget = actions.add_parser(
        "forget",
        parents=[common],
        help="delete one fact (ID from `show`) or all of them (--all)",
        description="Delete one remembered fact, or the whole profile with --all.",
    )
    forget.add_argument("id", nargs="?", metavar="ID", help="the fact's id (see `show`)")
    forget.add_argument("--all", action="store_true", help="forget everything")
    parser.set_defaults(func=run)


def _target(args: argparse.Namespace) -> int | None:
    """The fact id to forget, None for --all; ValueError naming what is wrong."""
    if args.action != "forget":
        return None
    if args.all and args.id is not None:
        raise ValueError("give either an ID or --all, not both")
    if args.all:
        return None
    if args.id is None:
        raise ValueError("say which fact: an ID from `teddy profile show`, or --all")
    if not str(args.id).isdigit() or int(args.id) <= 0:
        raise ValueError(f"ID {args.id!r} is not a fact id: use a positive whole number")
    return int(args.id)


def run(args: argparse.Namespace) -> int:
    from daemon.config import ConfigError
    from daemon.history import HistoryDbError

    try:
        target = _target(args)
        path = db_path(args)
    except (ConfigError, ValueError) as exc:
        print(f"teddy profile: {exc}", file=sys.stderr)
        return 1
    if not path.exists():
        if args.action == "show":
            print("the bear remembers nothing yet (no history database)", file=sys.stderr)
            return 0
        print(f"teddy profile: no history database at {path}", file=sys.stderr)
        return 1
    try:
        return asyncio.run(_run(args, path, target, sys.stdout))
    except HistoryDbError as exc:
        print(f"teddy profile: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, path: Path, target: int | None, out: TextIO) -> int:
    from daemon.history import HistoryStore
    from daemon.history.profile import facts, forget, forget_all

    async with await HistoryStore.open(path) as store:
        if args.action == "show":
            rows = await facts(store)
            if args.json:
                for row in rows:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                out.write(format_table(rows) if rows else "the bear remembers nothing yet\n")
            return 0
        if target is None:
            out.write(f"forgot {await forget_all(store)} fact(s)\n")
            return 0
        if not await forget(store, target):
            print(f"teddy profile: no fact with id {target}", file=sys.stderr)
            return 1
        out.write(f"forgot fact {target}\n")
        return 0


def format_table(rows: list[dict[str, Any]]) -> str:
    from daemon.commands.history import _local

    header = f"{'id':>5}  {'kind':7}  {'about':14}  {'value':28}  {'last heard (local)':19}  source"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['id']:>5}  {row['kind']:7}  {(row['subject'] or '-')[:14]:14}  "
            f"{row['value'][:28]:28}  {_local(row['updated_at']):19}  {row['source']}"
        )
    return "\n".join(lines) + "\n"
