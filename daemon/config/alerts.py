"""Parent-alert settings (``[alerts]``): when a parent hears about a conversation, how often, and
through which channels (webhook, desktop notification; the history always).

The keys are exactly those of ``processors.alerts.stage.AlertStage.from_config``, so the daemon
builds the stage with ``AlertStage.from_config(config.alerts.model_dump())``. All of it applies
live on SIGHUP.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from daemon.config.base import OptPath, OptStr, Section
from processors.alerts.rules import DEFAULT_KEYWORDS
from processors.results import EMOTIONS as _EMOTIONS

#: the emotion classes (one list for the stage, the alert rules and the config)
EMOTIONS = _EMOTIONS

Emotion = Literal[
    "joy", "sadness", "fear", "anger", "surprise", "disgust", "trust", "anticipation", "neutral"
]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
Score = Annotated[float, Field(gt=0, le=1)]

DEFAULT_SAFETY_CATEGORIES = (
    "abuse_disclosure",
    "danger_disclosure",
    "self_harm",
    "bullying",
    "sexual",
    "secrets",
    "strangers",
)


def _default_emotions() -> dict[Emotion, float]:
    return {"fear": 0.7, "sadness": 0.75, "anger": 0.75}


class AlertsConfig(Section):
    enabled: bool = Field(default=True, description="evaluate alert rules at all")
    emotions: dict[Emotion, Score] = Field(
        default_factory=_default_emotions,
        description="emotion -> score that alerts at once",
    )
    repeat_count: int = Field(
        default=3, ge=0, le=100, description="alert when an emotion above is seen this often ..."
    )
    repeat_window_s: float = Field(
        default=900.0, gt=0, description="... within this many seconds (0 count = off)"
    )
    repeat_threshold: float = Field(
        default=0.4, gt=0, le=1, description="score that counts towards a repeat"
    )
    safety_categories: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SAFETY_CATEGORIES),
        description="safety-filter categories on the child's words that alert",
    )
    keywords: list[str] = Field(
        default_factory=lambda: list(DEFAULT_KEYWORDS),
        description="phrases in the child's words that alert (case-insensitive)",
    )
    include_transcript: bool = Field(
        default=True, description="quote the child's words in the alert"
    )
    dedup_window_s: float = Field(
        default=900.0, ge=0, description="the same rule alerts at most once in this window"
    )
    max_alerts: int = Field(
        default=10, ge=1, le=1000, description="rate limit: alerts per rate_window_s"
    )
    rate_window_s: float = Field(default=3600.0, gt=0, description="rate limit window")
    desktop: bool = Field(
        default=True, description="desktop notification when a session D-Bus exists"
    )
    urls: list[str] = Field(
        default_factory=list,
        description="apprise destinations, one URL each (ntfy://, pover://, tgram://, mailto://, "
        "json://, ...)",
    )
    digest_at: OptStr = Field(
        default=None,
        description="send one daily summary at this local time, \"HH:MM\" ('' = no digest)",
    )
    webhook_url: OptStr = Field(default=None, description="POST alerts as JSON here")
    webhook_secret: OptStr = Field(default=None, description="HMAC-SHA256 signing key")
    webhook_secret_file: OptPath = Field(default=None, description="file holding the key")
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60, description="per attempt")
    webhook_max_attempts: int = Field(
        default=4, ge=1, le=20, description="attempts, with exponential backoff"
    )
    webhook_backoff_s: float = Field(
        default=0.5, ge=0, le=60, description="first retry delay (doubles)"
    )

    @model_validator(mode="after")
    def _check(self) -> AlertsConfig:
        url = self.webhook_url
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"alerts.webhook_url = {url!r}: must start with http:// or https://")
        if any(not k.strip() for k in self.keywords):
            raise ValueError("alerts.keywords: phrases must not be empty strings")
        if any("://" not in u for u in self.urls):
            bad = next(u for u in self.urls if "://" not in u)
            raise ValueError(
                f"alerts.urls: {bad!r} is not a URL: write one apprise URL per destination, "
                "e.g. ntfy://ntfy.sh/my-topic or json://127.0.0.1:8000/hook"
            )
        if self.digest_at is not None and not _HHMM.match(self.digest_at):
            raise ValueError(
                f'alerts.digest_at = {self.digest_at!r}: write a local time as "HH:MM", '
                'or "" for no digest'
            )
        if self.webhook_secret is not None and self.webhook_secret_file is not None:
            raise ValueError("alerts: set webhook_secret or webhook_secret_file, not both")
        return self
