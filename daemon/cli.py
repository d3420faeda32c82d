"""`teddy` command line: one sub-command per module in ``daemon.commands``.

Each command module exposes ``register(subparsers)`` (adds its parser and sets ``func``) and keeps
heavy imports (models, the anthropic SDK, PortAudio) inside its run function, so ``teddy --help``
and ``teddy health`` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "run",
    "devices",
    "doctor",
    "transcribe",
    "chat",
    "history",
    "health",
    "models",
    "parent",
    "profile",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="teddy",
        description="Offline-first voice-interaction daemon for an AI teddy bear.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"daemon.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        code = func(args)
    except KeyboardInterrupt:
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
