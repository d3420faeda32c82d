"""SIGHUP: which changed keys take effect at once and which wait for a restart.

Live keys are the ones the daemon re-reads on every use or can hand to a running part cheaply
(thresholds, prompts, alert rules, log level). Everything else (devices, models, backends, the
HTTP bind, the processor's pools, plug-ins and the graph) is loaded once at start: a change is
reported as needing a restart and the running value is kept.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon.config.loader import DEFAULT_SEARCH, load_config_with_source, validate_config
from daemon.config.model import TeddyConfig

LIVE_KEYS: tuple[str, ...] = (
    "logging.level",
    "child.*",
    "alerts.*",
    "llm.system_prompt",
    "llm.max_tokens",
    "llm.history_turns",
    "llm.session_timeout_s",
    "vad.threshold",
    "stt.no_speech_threshold",
    "stt.logprob_threshold",
    "stt.compression_ratio_threshold",
    "stt.min_speech_ratio",
    "health.max_queue_depth",
    "health.min_success_rate",
    "health.loop_lag_degraded_s",
    "health.loop_lag_unhealthy_s",
    "history.retention_days",
    "parental.*",
)


def is_live(key: str) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in LIVE_KEYS)


@dataclass(frozen=True)
class ReloadPlan:
    """``config``: what to run with now (new values of live keys, running values of the rest)."""

    config: TeddyConfig
    live: tuple[str, ...]
    restart: tuple[str, ...]
    source: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.live or self.restart)

    def summary(self) -> str:
        if not self.changed:
            return "config reloaded: nothing changed"
        parts = []
        if self.live:
            parts.append("applied now: " + ", ".join(self.live))
        if self.restart:
            parts.append("need a restart (running values kept): " + ", ".join(self.restart))
        return "config reloaded; " + "; ".join(parts)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted key → value; tables recurse, lists (e.g. alert rules) are one value."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, path + "."))  # an empty table adds no key
        else:
            out[path] = value
    return out


def _set(data: dict[str, Any], key: str, value: Any, present: bool) -> None:
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    if present:
        node[leaf] = value
    else:
        node.pop(leaf, None)


def plan_reload(old: TeddyConfig, new: TeddyConfig, source: str = "") -> ReloadPlan:
    before, after = flatten(old.model_dump()), flatten(new.model_dump())
    changed = sorted(
        k
        for k in before.keys() | after.keys()
        if before.get(k) != after.get(k) or (k in before) != (k in after)
    )
    live = tuple(k for k in changed if is_live(k))
    restart = tuple(k for k in changed if not is_live(k))
    merged = old.model_dump()
    for key in live:
        _set(merged, key, after.get(key), key in after)
    return ReloadPlan(validate_config(merged, source or "reload"), live, restart, source)


def reload_config(
    old: TeddyConfig,
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    search: tuple[Path, ...] = DEFAULT_SEARCH,
) -> ReloadPlan:
    """Re-read the config as at start; ConfigError (running config kept) on bad input."""
    new, source = load_config_with_source(path, env, search)
    return plan_reload(old, new, source)
