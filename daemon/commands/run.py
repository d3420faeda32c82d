"""`teddy run`: the daemon in the foreground (what systemd starts)."""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from daemon.config import TeddyConfig


def device_spec(value: str) -> int | str:
    """A device index, a name substring, or ``replay:PATH``."""
    return int(value) if value.strip().isdigit() else value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the daemon in the foreground (what systemd starts)",
        description="Listen, answer and remember until SIGTERM/SIGINT; SIGHUP reloads the config.",
    )
    parser.add_argument("--config", type=Path, help="TOML config file (default: search path)")
    parser.add_argument(
        "--input",
        type=device_spec,
        metavar="DEV",
        help="microphone: index, name substring, or replay:PATH (a WAV file or folder)",
    )
    parser.add_argument(
        "--output", type=device_spec, metavar="DEV", help="speaker: index or name substring"
    )
    parser.add_argument(
        "--fast", action="store_true", help="with --input replay:PATH, replay faster than real time"
    )
    parser.set_defaults(func=run)


def _missing_extras(config: TeddyConfig) -> str | None:
    """Settings that need an optional extra which is not installed: one line saying which."""
    import importlib.util

    users = [
        key
        for key, used in (
            ("stt.backend = wyoming", config.stt.backend == "wyoming"),
            ("tts.backend = wyoming", config.tts.backend == "wyoming"),
            ("wyoming.listen", bool(config.wyoming.listen)),
        )
        if used
    ]
    if users and importlib.util.find_spec("wyoming") is None:
        return (
            f"{', '.join(users)} needs the Wyoming extra, which is not installed: "
            "pip install 'teddy[wyoming]' (or turn those settings off)"
        )
    return None


def run(args: argparse.Namespace) -> int:
    import logging
    import os

    from daemon.config import ConfigError, find_config_file, load_config_with_source
    from daemon.ops.logsetup import setup_logging
    from daemon.ops.malloc import fix_mmap_threshold, limit_arenas, no_mkl_buffer_cache

    limit_arenas()  # before any worker thread exists (see daemon/ops/malloc.py)
    fix_mmap_threshold()  # before the models load
    no_mkl_buffer_cache()

    try:
        config, source = load_config_with_source(args.config)
    except ConfigError as exc:
        print(f"teddy: {exc}", file=sys.stderr)
        return 2
    missing = _missing_extras(config)
    if missing:
        print(f"teddy: {missing}", file=sys.stderr)
        return 2
    setup_logging(config.logging.level, config.logging.format)
    # `kill -USR1 <pid>` dumps every thread's stack to the log: for diagnosing a stuck bear.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    logging.getLogger("teddy").info("config: %s", source)
    from daemon.app import Daemon

    daemon = Daemon(
        config,
        config_path=find_config_file(args.config, os.environ),
        input_spec=args.input,
        output_spec=args.output,
        fast_replay=args.fast,
        freeze_at_ready=True,
    )
    from daemon.ops.shutdown import exit_past_stuck_threads

    try:
        code = asyncio.run(daemon.run())
    except Exception as exc:  # a start-up failure (port in use, unwritable DB): one clear line
        print(f"teddy: cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    return exit_past_stuck_threads(code)
