"""Where the config comes from and how bad input is reported.

Resolution (DESIGN.md): ``--config PATH``, else ``$TEDDY_CONFIG``, else ``/etc/teddy/teddy.toml``,
else ``~/.config/teddy/teddy.toml``, else built-in defaults. The parent page's settings overlay
(``daemon/config/overlay.py``, next to the history database) goes on top of the file; then
``TEDDY_<SECTION>__<KEY>``
environment variables override single keys (deeper keys: more ``__``), their values read as TOML
(``9000``, ``true``, ``["fear"]``) and otherwise as plain strings. Every problem is reported in one
:class:`ConfigError` naming the key, the value, where it came from and what is allowed.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from daemon.config.model import TeddyConfig
from daemon.config.overlay import apply_overlay, overlay_path_for, read_overlay

log = logging.getLogger(__name__)

ENV_PREFIX = "TEDDY_"
ENV_CONFIG = "TEDDY_CONFIG"
#: TEDDY_* variables that are read elsewhere, not config overrides
NOT_OVERRIDES = frozenset({ENV_CONFIG})
SYSTEM_PATH = Path("/etc/teddy/teddy.toml")
USER_PATH = Path("~/.config/teddy/teddy.toml")
DEFAULT_SEARCH = (SYSTEM_PATH, USER_PATH)
BUILTIN = "built-in defaults"


class ConfigError(ValueError):
    """The config cannot be used; the message names the key, the value and what is allowed."""


def find_config_file(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    search: Sequence[Path] = DEFAULT_SEARCH,
) -> Path | None:
    """The file to read, or None for built-in defaults. An explicitly named file must exist."""
    env = os.environ if env is None else env
    for named, how in ((path, "--config"), (env.get(ENV_CONFIG) or None, f"${ENV_CONFIG}")):
        if named is not None and str(named) != "":
            chosen = Path(named).expanduser()
            if chosen.is_dir():
                raise ConfigError(
                    f"config file {chosen} (from {how}) is a directory; name a TOML file"
                )
            if not chosen.is_file():
                raise ConfigError(f"config file {chosen} (from {how}) does not exist")
            return chosen
    for candidate in search:
        candidate = candidate.expanduser()
        if candidate.is_file():
            return candidate
    return None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config {path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}); TOML files must be saved as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"config {path}: cannot read: {exc.strerror or exc}") from None


def parse_env_value(raw: str) -> Any:
    """``9000`` → 9000, ``true`` → True, ``["a"]`` → ["a"]; anything else stays the string."""
    try:
        parsed = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        return raw
    return parsed["v"] if list(parsed) == ["v"] else raw


def env_overrides(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    """Nested overrides from ``TEDDY_<SECTION>__<KEY>`` variables, and key path → variable name."""
    data: dict[str, Any] = {}
    origins: dict[tuple[str, ...], str] = {}
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in NOT_OVERRIDES:
            continue
        if "__" not in name:
            # e.g. TEDDY_HEALTH_PORT: silently ignoring it would leave the user puzzled
            log.warning(
                "environment variable %s matches no config key and is ignored; overrides are "
                "spelled TEDDY_<SECTION>__<KEY> with two underscores (e.g. TEDDY_HEALTH__PORT)",
                name,
            )
            continue
        parts = tuple(p.lower() for p in name[len(ENV_PREFIX) :].split("__"))
        if any(not p for p in parts):
            raise ConfigError(f"{name}: malformed override; use TEDDY_<SECTION>__<KEY>")
        node = data
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ConfigError(f"{name}: conflicts with another TEDDY_ override")
            node = nxt
        node[parts[-1]] = parse_env_value(env[name])
        origins[parts] = name
    return data, origins


def merge(base: Mapping[str, Any], over: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = merge(current, value, f"{where}{key}.")
        else:
            out[key] = value
    return out


def validate_config(
    data: Mapping[str, Any],
    source: str = BUILTIN,
    origins: Mapping[tuple[str, ...], str] | None = None,
) -> TeddyConfig:
    try:
        return TeddyConfig.model_validate(dict(data))
    except ValidationError as exc:
        problems = [_describe(err, origins or {}) for err in exc.errors()]
        head = f"invalid config ({source})"
        if len(problems) == 1:
            raise ConfigError(f"{head}: {problems[0]}") from None
        raise ConfigError(head + ":\n  " + "\n  ".join(problems)) from None


def load_config_with_source(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    search: Sequence[Path] = DEFAULT_SEARCH,
) -> tuple[TeddyConfig, str]:
    """The validated config and a description of where it came from (file and env overrides)."""
    env = os.environ if env is None else env
    file = find_config_file(path, env, search)
    data = read_toml(file) if file is not None else {}
    overrides, origins = env_overrides(env)
    source = str(file) if file is not None else BUILTIN
    if origins:
        source += " + " + ", ".join(sorted(origins.values()))
    data = _seed_tables(data, origins)
    overlay_file = overlay_path(merge(data, overrides), env)
    overlay = read_overlay(overlay_file)
    if overlay:
        data = apply_overlay(data, overlay, TeddyConfig.model_validate, merge, str(overlay_file))
        source += f" + {overlay_file}"
    config = validate_config(merge(data, overrides), source, origins)
    if file is not None:
        _warn_if_secrets_readable(file, config)
    _warn_if_key_file_readable(config)
    return config, source


def overlay_path(data: Mapping[str, Any], env: Mapping[str, str]) -> Path:
    """The parent page's overlay file: next to the history database the config points at."""
    history = data.get("history")
    configured = history.get("path") if isinstance(history, dict) else None
    if configured:
        return overlay_path_for(Path(str(configured)).expanduser())
    state = env.get("STATE_DIRECTORY", "")
    folder = Path(state.split(":")[0]) if state else Path.home() / ".local" / "state" / "teddy"
    return overlay_path_for(folder / "history.sqlite3")


def _warn_if_key_file_readable(config: TeddyConfig) -> None:
    """The API key bills the parent's account: a key file others can read deserves a warning."""
    key_file = config.llm.api_key_file
    if key_file is None:
        return
    try:
        mode = key_file.stat().st_mode
    except OSError:
        return  # a missing file is reported when the key is read, with its own message
    if mode & 0o077:
        log.warning(
            "llm.api_key_file %s is readable by other users (mode %o); chmod 600 it",
            key_file,
            mode & 0o777,
        )


def _warn_if_secrets_readable(path: Path, config: TeddyConfig) -> None:
    """A token or webhook secret in a file anyone can read is worth a warning, not a refusal."""
    secrets = [
        key
        for key, value in (
            ("health.token", config.health.token),
            ("alerts.webhook_secret", config.alerts.webhook_secret),
        )
        if value
    ]
    try:
        readable = bool(path.stat().st_mode & 0o004)
    except OSError:
        return
    if secrets and readable:
        log.warning(
            "config %s is readable by every user but holds %s; chmod 640 it (or use "
            "environment overrides / *_file settings for secrets)",
            path,
            " and ".join(secrets),
        )


def _seed_tables(data: dict[str, Any], origins: Mapping[tuple[str, ...], str]) -> dict[str, Any]:
    """An env override of one entry of a free-form table (``TEDDY_ALERTS__EMOTIONS__FEAR``)
    changes that entry only: the table starts from its default when the file does not set it."""
    defaults = TeddyConfig().model_dump()
    for parts in origins:
        for n in range(1, len(parts)):
            prefix = parts[:n]
            default: Any = defaults
            node: Any = data
            for part in prefix:
                default = default.get(part) if isinstance(default, dict) else None
                node = node.get(part) if isinstance(node, dict) else None
            if node is None and isinstance(default, dict) and _model_at(prefix) is None:
                data = merge(data, _nest(prefix, default))
    return data


def _nest(parts: tuple[str, ...], value: Any) -> dict[str, Any]:
    for part in reversed(parts):
        value = {part: value}
    return dict(value)


def load_config(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    search: Sequence[Path] = DEFAULT_SEARCH,
) -> TeddyConfig:
    """Resolve, read, override and validate; raises :class:`ConfigError` on any problem."""
    return load_config_with_source(path, env, search)[0]


# -- error messages -------------------------------------------------------------------------------


def _key(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _origin(loc: Sequence[int | str], origins: Mapping[tuple[str, ...], str]) -> str | None:
    parts = tuple(str(p) for p in loc)
    for n in range(len(parts), 0, -1):
        if parts[:n] in origins:
            return origins[parts[:n]]
    return None


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class holding the key at ``loc`` (to list the keys allowed next to it)."""
    model: type[BaseModel] = TeddyConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args]
        nxt = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nxt is None:
            return None
        model = nxt
    return model


def _describe(err: Any, origins: Mapping[tuple[str, ...], str]) -> str:
    loc: tuple[int | str, ...] = tuple(err.get("loc", ()))
    key = _key(loc) or "(top level)"
    origin = _origin(loc, origins)
    via = f" (from {origin})" if origin else ""
    kind = err.get("type", "")
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent is not None else "?"
        where = f"[{_key(loc[:-1])}]" if loc[:-1] else "the top level"
        return f"unknown key {key}{via}; allowed keys in {where}: {allowed}"
    if kind == "missing":
        return f"{key} is required{via}"
    if kind == "value_error" and (not loc or _key(loc) in msg or "." in msg.split(" ")[0]):
        return msg + via  # a cross-field check that already names its keys
    msg = msg.replace("Input should be", "must be").replace(
        "a valid dictionary or instance of", "a table like"
    )
    return f"{key} = {err.get('input')!r}{via}: {msg}"
