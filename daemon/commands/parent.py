"""`teddy parent set-password`: set the parent page's password.

The argon2 hash goes to ``parent-password`` next to the history database (the state directory,
found like the daemon finds it: ``--config``, ``$TEDDY_CONFIG``, ... then ``history.path`` or
``$STATE_DIRECTORY`` or ``~/.local/state/teddy``), 0600. On a terminal it prompts twice; otherwise
it reads the password from the first line of stdin (a second, confirming line must match). A
running daemon picks the new password up at the next login.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "parent",
        help="the parent page: set its password",
        description="Manage access to the parent page.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    setpw = actions.add_parser(
        "set-password",
        help="set the parent page's password (prompts, or reads stdin)",
        description="Set the parent page's password (at least 8 characters).",
    )
    setpw.add_argument("--config", metavar="PATH", help="config file (to find the state folder)")
    setpw.set_defaults(func=_set_password)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def read_password(stdin: TextIO, interactive: bool) -> str:
    """The new password; raises PasswordError when it is unusable or unconfirmed."""
    from daemon.parent.auth import PasswordError, check_new_password

    if interactive:
        first = getpass.getpass("New parent password: ")
        check_new_password(first)
        if getpass.getpass("Again, to confirm: ") != first:
            raise PasswordError("the two passwords differ; nothing changed")
        return first
    lines = stdin.read().splitlines()
    if not lines or not lines[0]:
        raise PasswordError("no password on stdin: give it on the first line")
    first = lines[0]
    check_new_password(first)
    if len(lines) > 1 and lines[1] and lines[1] != first:
        raise PasswordError("the confirming second line differs from the first; nothing changed")
    return first


def _set_password(args: argparse.Namespace) -> int:
    from daemon.config import ConfigError, load_config
    from daemon.history.db import resolve_history_path
    from daemon.parent.auth import PasswordError, PasswordFile, password_path_for

    try:
        config = load_config(args.config)
        path = password_path_for(resolve_history_path(config.history.path))
        password = read_password(sys.stdin, sys.stdin.isatty())
        PasswordFile(path).set(password)
    except (ConfigError, PasswordError) as exc:
        print(f"teddy parent set-password: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"teddy parent set-password: cannot write the password file: {exc}", file=sys.stderr)
        return 1
    print(f"parent password set ({path}); log in on the parent page")
    return 0
