"""The Settings page's logic: what each key is now and where that comes from (file, overlay, an
environment variable that pins it), and changing it: validate, write the overlay, reload like
SIGHUP. Shared by the HTML form and ``PUT /api/settings``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from daemon.config import env_overrides
from daemon.config.loader import merge
from daemon.config.model import TeddyConfig
from daemon.config.overlay import (
    OVERLAY_KEYS,
    OverlayError,
    check_value,
    nest,
    read_overlay,
    reset_overlay,
    write_overlay,
)
from daemon.parent.context import ParentContext


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str  # text | int | spans | urls | trigger
    help: str = ""


FIELDS: tuple[Field, ...] = (
    Field("child.name", "Child's first name", "text", "the bear uses it; empty = none"),
    Field("child.age", "Child's age", "int", "2-12 years; shapes how the bear talks"),
    Field(
        "parental.quiet_hours",
        "Quiet hours",
        "spans",
        'times the bear does not listen, e.g. "19:30-07:00, 13:00-14:30"; empty = never',
    ),
    Field("parental.daily_limit_min", "Daily time limit (minutes)", "int", "0 = no limit"),
    Field(
        "parental.trigger",
        "Listening trigger",
        "trigger",
        "always, or only while the paw button is held",
    ),
    Field("history.retention_days", "Keep history (days)", "int", "0 = keep everything"),
    Field(
        "alerts.urls",
        "Alert destinations",
        "urls",
        "one apprise URL per line (e.g. ntfy://my-topic, mailto://...)",
    ),
)
assert {f.key for f in FIELDS} == set(OVERLAY_KEYS)
_SPLIT = re.compile(r"[,\n;]+")


def pinned_keys(env: Mapping[str, str]) -> dict[str, str]:
    """Dotted key → the environment variable that overrides it (the page cannot change it)."""
    try:
        _, origins = env_overrides(env)
    except ValueError:
        return {}
    out = {}
    for key in OVERLAY_KEYS:
        parts = tuple(key.split("."))
        for n in range(len(parts), 0, -1):
            if parts[:n] in origins:
                out[key] = origins[parts[:n]]
                break
    return out


def _get(config: TeddyConfig, key: str) -> Any:
    node: Any = config.model_dump(mode="json")
    for part in key.split("."):
        node = node[part]
    return node


def view(ctx: ParentContext) -> dict[str, Any]:
    """Every field with its running value, whether the overlay sets it, and what pins it."""
    config = ctx.config()
    overlay = read_overlay(ctx.overlay_path)
    pins = pinned_keys(ctx.env)
    fields = []
    for f in FIELDS:
        running = _get(config, f.key)
        wanted = overlay[f.key] if f.key in overlay and f.key not in pins else running
        fields.append(
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind,
                "help": f.help,
                "value": wanted,
                "running": running,
                # a key the daemon reads only at start (reload says "need a restart")
                "after_restart": wanted != running,
                "from_overlay": f.key in overlay,
                "pinned_by": pins.get(f.key),
            }
        )
    return {
        "fields": fields,
        "overlay": overlay,
        "overlay_path": str(ctx.overlay_path),
        "store_audio": config.history.store_audio,
    }


def parse_form_value(f: Field, text: str) -> Any:
    """A form field's text as the value the config wants (the config validates it after)."""
    text = text.strip()
    if f.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise OverlayError(f"{f.key} = {text!r}: write a whole number") from None
    if f.kind == "spans":
        return [s.strip() for s in _SPLIT.split(text) if s.strip()]
    if f.kind == "urls":
        return [s.strip() for s in text.splitlines() if s.strip()]
    return text


def values_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    return {f.key: parse_form_value(f, form[f.key]) for f in FIELDS if f.key in form}


async def update(ctx: ParentContext, values: Mapping[str, Any]) -> str:
    """Validate every value (all or nothing), merge them into the overlay, reload; the reload's
    summary. Raises OverlayError naming the first bad key."""
    config = ctx.config()
    overlay = read_overlay(ctx.overlay_path)
    # what the page shows: a value waiting for a restart counts, not the running one
    shown = {**_get_all(config), **overlay}
    pins = pinned_keys(ctx.env)
    changed = {k: v for k, v in values.items() if k not in shown or shown[k] != v}
    base = config.model_dump()
    for key, value in changed.items():
        if key in pins:
            raise OverlayError(f"{key} is pinned by the environment variable {pins[key]}")
        check_value(base, key, value, TeddyConfig.model_validate, merge)
        base = merge(base, nest({key: value}))
    if not changed:
        return "nothing changed"
    overlay.update(changed)
    write_overlay(ctx.overlay_path, overlay)
    return await ctx.apply_settings()


async def reset(ctx: ParentContext) -> str:
    """Forget every change the page made: back to the file (and the environment)."""
    reset_overlay(ctx.overlay_path)
    return await ctx.apply_settings()


def _get_all(config: TeddyConfig) -> dict[str, Any]:
    return {key: _get(config, key) for key in OVERLAY_KEYS}
