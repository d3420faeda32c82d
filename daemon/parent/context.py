"""What the parent page needs from the running daemon, as a small set of injected callables.

The page never reaches into the daemon; ``daemon/parent/wiring.py`` builds a :class:`ParentContext`
from the live parts, and tests build one from a real history store and plain functions.

- ``status()`` → the Now page: ``{"state": "listening"|"sleeping"|"talking"|"limit_reached"|
  "button"|"degraded"|"starting", "reason": str, "minutes_today": float, "limit_min": int,
  "last": interaction dict | None}``. The parental-controls ``status()`` fits this shape.
- ``apply_settings()`` → re-read the config exactly like SIGHUP (``Daemon.reload``) after the page
  wrote the overlay; returns the reload's one-line summary.
- ``send_test()`` → ``AlertStage.send_test()`` on the live alert stage: one dict per channel.
- ``extend_today(minutes)`` (optional) → the parental controls' extension of today's limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.config.model import TeddyConfig
from daemon.config.overlay import overlay_path_for
from daemon.history.store import HistoryStore
from daemon.parent.auth import password_path_for

StatusProvider = Callable[[], Awaitable[Mapping[str, Any]]]
ApplySettings = Callable[[], Awaitable[str]]
SendTest = Callable[[], Awaitable[list[Mapping[str, Any]]]]
ExtendToday = Callable[[int], Awaitable[Any]]


@dataclass
class ParentContext:
    history_path: Path
    config: Callable[[], TeddyConfig]
    store: Callable[[], HistoryStore | None]
    status: StatusProvider
    apply_settings: ApplySettings
    send_test: SendTest
    env: Mapping[str, str] = field(default_factory=dict)
    extend_today: ExtendToday | None = None
    tz: dt.tzinfo | None = None  # None: the machine's local time zone

    @property
    def overlay_path(self) -> Path:
        return overlay_path_for(self.history_path)

    @property
    def password_path(self) -> Path:
        return password_path_for(self.history_path)

    @property
    def audio_dir(self) -> Path:
        return self.history_path.with_name(f"{self.history_path.name}.audio")

    def local_tz(self) -> dt.tzinfo:
        if self.tz is not None:
            return self.tz
        local = dt.datetime.now().astimezone().tzinfo
        return local if local is not None else dt.UTC
