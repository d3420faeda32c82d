"""Logging as ``[logging]`` asks: ``text`` lines (without a timestamp under systemd, where the
journal adds one) or ``json`` (one object per line, for log shippers); the level can change live.

    setup_logging(config.logging.level, config.logging.format)   # at start
    set_level(new.logging.level)                                  # on SIGHUP
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from typing import TextIO

ROOT = "teddy-root-handler"  # name of the handler we own, so a second setup replaces it
_TEXT = "%(levelname)s %(name)s: %(message)s"
_TEXT_TIMED = "%(asctime)s " + _TEXT
# LogRecord attributes that are not "extra" fields
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


#: syslog priorities; journald reads a ``<N>`` line prefix as the priority (sd-daemon(3)), so
#: ``journalctl -p warning`` shows warnings and worse instead of every line at "info"
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}


def syslog_priority(levelno: int) -> int:
    if levelno >= logging.CRITICAL:
        return 2
    for level in (logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= level:
            return _PRIORITY[level]
    return 7


class JournalFormatter(logging.Formatter):
    """Each line (a traceback's too) carries the record's ``<priority>`` prefix."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, exception, and any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        return json.dumps(entry, default=str, ensure_ascii=False)


def setup_logging(
    level: str = "INFO",
    fmt: str = "text",
    stream: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> logging.Handler:
    """Install (or replace) teddy's handler on the root logger; returns it."""
    env = os.environ if env is None else env
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == ROOT]:
        root.removeHandler(old)
        old.close()
    handler = logging.StreamHandler(stream or _private_stderr())
    handler.set_name(ROOT)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    elif fmt == "text" and env.get("JOURNAL_STREAM"):
        # journald timestamps every line itself ($JOURNAL_STREAM is set when stderr goes there)
        handler.setFormatter(JournalFormatter(_TEXT))
    elif fmt == "text":
        handler.setFormatter(logging.Formatter(_TEXT_TIMED))
    else:
        raise ValueError(f"logging.format {fmt!r} is not one of text, json")
    root.addHandler(handler)
    set_level(level)
    return handler


_stderr_copy: TextIO | None = None


def _private_stderr() -> TextIO:
    """Our own duplicate of fd 2. PortAudio (re)initialisation (``sounddevice._initialize``, run
    on every capture retry) points fd 2 at /dev/null for a moment to hide ALSA chatter; logging
    through a copy made at start keeps every log line, whichever thread initialises PortAudio."""
    global _stderr_copy
    if _stderr_copy is None:
        try:
            _stderr_copy = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
        except (AttributeError, OSError, ValueError):  # no real fd (e.g. captured by a test)
            return sys.stderr
    return _stderr_copy


def set_level(level: str) -> None:
    """Change the level of everything teddy logs (live, e.g. on SIGHUP)."""
    value = logging.getLevelName(level.upper())
    if not isinstance(value, int):
        raise ValueError(f"logging.level {level!r} is not a log level")
    logging.getLogger().setLevel(value)
