"""The settings overlay: what the parent changed on the parent page, between the file and the env.

Precedence: config file < overlay < ``TEDDY_<SECTION>__<KEY>`` environment variables. The overlay
is a small JSON object of dotted keys (``{"parental.quiet_hours": ["19:30-07:00"]}``) in the state
directory next to the history database (``parent-settings.json``, 0600), so the TOML file stays the
base the admin wrote and the parent can see and reset exactly what the page changed. Only the keys
in :data:`OVERLAY_KEYS` may be set there. A value that does not validate is reported in one log
line and that key is ignored: a broken overlay never stops the daemon.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

FILE_NAME = "parent-settings.json"
#: the keys the parent page may change (and nothing else, whatever the file says)
OVERLAY_KEYS: tuple[str, ...] = (
    "child.name",
    "child.age",
    "parental.quiet_hours",
    "parental.daily_limit_min",
    "parental.trigger",
    "history.retention_days",
    "alerts.urls",
)


class OverlayError(ValueError):
    """A value the parent entered cannot be used; the message names the key and what is allowed."""


def overlay_path_for(history_db: Path) -> Path:
    return history_db.with_name(FILE_NAME)


def read_overlay(path: Path) -> dict[str, Any]:
    """The overlay's keys and values ({} when absent); an unreadable or malformed file is
    reported in one line and treated as empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.error("settings overlay %s unreadable (%s): using the config file only", path, exc)
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        log.error("settings overlay %s is not JSON (%s): using the config file only", path, exc)
        return {}
    if not isinstance(data, dict):
        log.error("settings overlay %s must hold a JSON object: using the config file only", path)
        return {}
    unknown = sorted(k for k in data if k not in OVERLAY_KEYS)
    for key in unknown:
        log.error(
            "settings overlay %s: key %r ignored; the parent page sets only %s",
            path,
            key,
            ", ".join(OVERLAY_KEYS),
        )
    return {k: v for k, v in data.items() if k in OVERLAY_KEYS}


def write_overlay(path: Path, values: Mapping[str, Any]) -> None:
    """Replace the overlay atomically (temp file, fsync, rename), private to the daemon's user."""
    bad = sorted(k for k in values if k not in OVERLAY_KEYS)
    if bad:
        raise OverlayError(f"{bad[0]} cannot be set from the parent page")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(dict(sorted(values.items())), fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def reset_overlay(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` → ``{"a": {"b": 1}}``."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def apply_overlay(
    base: dict[str, Any],
    overlay: Mapping[str, Any],
    validate: Callable[[dict[str, Any]], BaseModel],
    merge: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]],
    where: str = FILE_NAME,
) -> dict[str, Any]:
    """``base`` with every overlay key that validates on top of it; each bad key is logged in
    one line and skipped (the base value stays)."""
    data = base
    for key, value in overlay.items():
        candidate = merge(data, nest({key: value}))
        try:
            validate(candidate)
        except ValidationError as exc:
            first = exc.errors()[0]
            why = str(first.get("msg", "invalid")).removeprefix("Value error, ")
            log.error(
                "settings overlay %s: %s = %r ignored (%s); reset it on the parent page",
                where,
                key,
                value,
                why,
            )
            continue
        except ValueError as exc:
            log.error("settings overlay %s: %s = %r ignored (%s)", where, key, value, exc)
            continue
        data = candidate
    return data


def check_value(
    base: dict[str, Any],
    key: str,
    value: Any,
    validate: Callable[[dict[str, Any]], BaseModel],
    merge: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]],
) -> None:
    """Raise :class:`OverlayError` (one line: key, value, why) if ``key = value`` is invalid."""
    if key not in OVERLAY_KEYS:
        raise OverlayError(f"{key} cannot be set from the parent page")
    try:
        validate(merge(base, nest({key: value})))
    except ValidationError as exc:
        first = exc.errors()[0]
        why = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        raise OverlayError(f"{key} = {value!r}: {why}") from None
