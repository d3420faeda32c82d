"""Config sections the parent decides: when the bear may listen (``[parental]``) and what it may
remember about the child across days (``[memory]``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from daemon.config.base import Section

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_BUTTON = re.compile(r"^(gpio:\d{1,2}|key:KEY_[A-Z0-9_]+(@/dev/input/[\w.-]+)?)$")


def parse_span(text: str) -> tuple[dt.time, dt.time]:
    """``"19:30-07:00"`` -> (19:30, 07:00); a span may cross midnight. Raises ValueError."""
    match = _SPAN.match(text)
    if match is None:
        raise ValueError(f'{text!r} is not a time span: write it as "HH:MM-HH:MM"')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"{text!r}: hours are 00-23 and minutes 00-59")
    if (h1, m1) == (h2, m2):
        raise ValueError(f"{text!r}: a span must not start and end at the same time")
    return dt.time(h1, m1), dt.time(h2, m2)


def _spans(value: object) -> object:
    # One span may be written as a plain string; a list allows e.g. a nap and the night.
    if isinstance(value, str):
        value = [value] if value.strip() else []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                parse_span(item)
    return value


class ParentalConfig(Section):
    quiet_hours: Annotated[list[str], BeforeValidator(_spans)] = Field(
        default_factory=list,
        description='local times the bear does not listen, e.g. ["19:30-07:00"] (may cross '
        "midnight; [] = never quiet)",
    )
    daily_limit_min: int = Field(
        default=0, ge=0, le=1440, description="minutes of talk per day, then goodbye (0 = no limit)"
    )
    trigger: Literal["always", "button"] = Field(
        default="always",
        description="always = the bear hears whenever it is awake; button = only while its paw "
        "button is held (push-to-talk)",
    )
    button: str = Field(
        default="gpio:17",
        description='push-to-talk button: "gpio:<BCM pin>" or "key:KEY_<NAME>[@/dev/input/eventN]"',
    )

    @model_validator(mode="after")
    def _button(self) -> ParentalConfig:
        if not _BUTTON.match(self.button):
            raise ValueError(
                f'parental.button = {self.button!r}: write "gpio:<BCM pin>" (e.g. gpio:17) or '
                '"key:KEY_<NAME>" with an optional "@/dev/input/eventN"'
            )
        return self


class MemoryConfig(Section):
    enabled: bool = Field(
        default=True,
        description="remember what the child tells the bear about themselves across days "
        "(kept only in the history database; false = remember nothing new, use nothing)",
    )
    max_prompt_facts: int = Field(
        default=6, ge=0, le=50, description="most facts put into one reply prompt"
    )
    max_prompt_chars: int = Field(
        default=600, ge=0, le=4000, description="most characters of facts in one reply prompt"
    )
