"""Shared building blocks of the config models: the strict base class and value normalisers.

TOML has no null, so optional settings are written as ``""`` in teddy.toml and read as ``None``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
)


class Section(BaseModel):
    """A config section: unknown keys are errors, values are validated, instances are immutable."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, coerce_numbers_to_str=True
    )

    @field_validator("*", mode="before")
    @classmethod
    def _strict_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic's lax mode reads `retention_days = true` as 1 day and `store_audio = 1` as
        # true; in a config file those are typos, and acting on them can purge a history.
        field = cls.model_fields.get(info.field_name or "")
        kind = field.annotation if field is not None else None
        if kind is bool and not isinstance(value, bool):
            raise ValueError("must be true or false")
        if kind in (int, float) and isinstance(value, bool):
            raise ValueError("must be a number, not true/false")
        if kind is int and isinstance(value, float):
            raise ValueError("must be a whole number")
        return value


def blank_to_none(value: Any) -> Any:
    """``""`` (or only spaces) means "not set"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _device(value: Any) -> Any:
    # "3" from the CLI or an env var is the device index 3, like the TOML integer 3.
    value = blank_to_none(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _expand(path: Path | None) -> Path | None:
    return path.expanduser() if path is not None else None


def _nonnegative_device(value: int | str | None) -> int | str | None:
    if isinstance(value, int) and value < 0:
        raise ValueError("a device index must be >= 0")
    return value


OptStr = Annotated[str | None, BeforeValidator(blank_to_none)]
OptPath = Annotated[Path | None, BeforeValidator(blank_to_none), AfterValidator(_expand)]
#: a device index, a case-insensitive substring of the device name, or None (system default)
Device = Annotated[int | str | None, BeforeValidator(_device), AfterValidator(_nonnegative_device)]
