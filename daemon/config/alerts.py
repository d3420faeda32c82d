"""Parent-alert settings: the rules that decide when a parent hears about a conversation, and
the channels (webhook, desktop notification; the history always) with dedup and rate limits.

All of it applies live on SIGHUP.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from daemon.config.base import OptStr, Section

#: the emotion classes (mirrors ``processors.emotion_labels.EMOTIONS``; a test keeps them equal)
EMOTIONS = (
    "joy",
    "sadness",
    "fear",
    "anger",
    "surprise",
    "disgust",
    "trust",
    "anticipation",
    "neutral",
)

Emotion = Literal[
    "joy", "sadness", "fear", "anger", "surprise", "disgust", "trust", "anticipation", "neutral"
]
Severity = Literal["info", "warning", "critical"]


class AlertRule(Section):
    """Fires when ANY of its triggers matches (emotion count, keyword, safety hit)."""

    name: str = Field(..., min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    severity: Severity = "warning"
    emotions: list[Emotion] = Field(
        default_factory=list, description="emotions that count towards this rule"
    )
    threshold: float = Field(default=0.5, ge=0, le=1, description="score an emotion must reach")
    count: int = Field(default=1, ge=1, le=100, description="matching interactions needed ...")
    window_s: float = Field(default=1800.0, gt=0, description="... within this many seconds")
    keywords: list[str] = Field(
        default_factory=list, description="phrases in the child's words (case-insensitive)"
    )
    safety_input: bool = Field(
        default=False, description="fire on safety-filter hits on the child's words"
    )
    safety_categories: list[str] = Field(
        default_factory=list, description="only these safety categories ([] = any)"
    )
    message: str = Field(default="", description="text for the parent ('' = generated)")

    @model_validator(mode="after")
    def _has_trigger(self) -> AlertRule:
        if not (self.emotions or self.keywords or self.safety_input):
            raise ValueError(
                f"alert rule {self.name!r} has no trigger: "
                "set emotions, keywords or safety_input = true"
            )
        if any(not k.strip() for k in self.keywords):
            raise ValueError(f"alert rule {self.name!r}: keywords must not be empty strings")
        return self


def default_rules() -> list[AlertRule]:
    return [
        AlertRule(name="scared", severity="warning", emotions=["fear"], threshold=0.5),
        AlertRule(
            name="sad-often",
            severity="warning",
            emotions=["sadness"],
            threshold=0.5,
            count=3,
            window_s=3600.0,
        ),
        AlertRule(
            name="angry-often",
            severity="info",
            emotions=["anger"],
            threshold=0.6,
            count=3,
            window_s=3600.0,
        ),
        AlertRule(
            name="disclosure",
            severity="critical",
            safety_input=True,
            safety_categories=[
                "abuse_disclosure",
                "danger_disclosure",
                "self_harm",
                "bullying",
                "sexual",
            ],
        ),
        AlertRule(
            name="lost-or-alone",
            severity="critical",
            keywords=["i am lost", "i'm lost", "i got lost", "nobody is home", "can't breathe"],
        ),
    ]


class WebhookConfig(Section):
    url: OptStr = Field(default=None, description="POST alerts as JSON here ('' = no webhook)")
    secret: OptStr = Field(
        default=None, description="HMAC-SHA256 key; signature in X-Teddy-Signature ('' = unsigned)"
    )
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="per attempt")
    max_retries: int = Field(default=3, ge=0, le=10, description="retries with exponential backoff")
    backoff_s: float = Field(default=1.0, gt=0, le=60, description="first retry delay (doubles)")

    @model_validator(mode="after")
    def _url(self) -> WebhookConfig:
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(
                f"alerts.webhook.url = {self.url!r}: must start with http:// or https://"
            )
        return self


class AlertsConfig(Section):
    enabled: bool = Field(default=True, description="evaluate alert rules at all")
    desktop: bool = Field(
        default=True, description="desktop notification when a session D-Bus exists"
    )
    dedup_window_s: float = Field(
        default=900.0, ge=0, description="the same rule fires at most once in this window"
    )
    max_per_hour: int = Field(
        default=6, ge=1, le=1000, description="alerts sent per hour, all rules"
    )
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    rules: list[AlertRule] = Field(default_factory=default_rules)

    @model_validator(mode="after")
    def _unique(self) -> AlertsConfig:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"alerts.rules: duplicate rule names {dupes}; names must be unique")
        return self
