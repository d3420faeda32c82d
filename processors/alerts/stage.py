"""Parent alerts (task type NOTIFICATION): rules → dedup/rate limit → channels → the result.

The result (``alerts``, ``suppressed``, ``deliveries``) is what the daemon writes to the history,
so every alert is recorded even when no channel could deliver it. A failing channel never fails
the task.

Configuration is a plain dict (the daemon's ``[alerts]`` section): see ``AlertStage.from_config``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from processors.alerts.channels import (
    AlertChannel,
    Delivery,
    DesktopChannel,
    UnusableChannel,
    WebhookChannel,
)
from processors.alerts.limits import AlertLimiter
from processors.alerts.rules import AlertContext, AlertRules
from processors.results import AlertsRaised, EmotionReading, RaisedAlert, Reply, Transcription

log = logging.getLogger(__name__)

TRANSCRIPTION_TYPE = "audio_transcription"
EMOTION_TYPE = "emotion_analysis"
AI_RESPONSE_TYPE = "ai_response"
HISTORY_CHANNEL = "history"

_RULE_KEYS = {
    "emotions",
    "repeat_count",
    "repeat_window_s",
    "repeat_threshold",
    "safety_categories",
    "keywords",
    "include_transcript",
}
_LIMIT_KEYS = {"dedup_window_s", "max_alerts", "rate_window_s"}
_WEBHOOK_KEYS = {
    "webhook_url": "url",
    "webhook_secret": "secret",
    "webhook_timeout_s": "timeout_s",
    "webhook_max_attempts": "max_attempts",
    "webhook_backoff_s": "backoff_s",
}
_OTHER_KEYS = {"enabled", "desktop", "webhook_secret_file", "urls", "digest_at"}


class AlertStage:
    """Evaluates each interaction and alerts the parents through the configured channels."""

    def __init__(
        self,
        rules: AlertRules | None = None,
        limiter: AlertLimiter | None = None,
        channels: Sequence[AlertChannel] = (),
        enabled: bool = True,
    ) -> None:
        self.rules = rules or AlertRules()
        self.limiter = limiter or AlertLimiter()
        self.channels = list(channels)
        self.enabled = enabled

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AlertStage:
        """Build from a flat dict. Keys: ``enabled``; rules: ``emotions`` ({name: threshold}),
        ``repeat_count``, ``repeat_window_s``, ``repeat_threshold``, ``safety_categories``,
        ``keywords``, ``include_transcript``; limits: ``dedup_window_s``, ``max_alerts``,
        ``rate_window_s``; channels: ``webhook_url``, ``webhook_secret`` or
        ``webhook_secret_file``, ``webhook_timeout_s``, ``webhook_max_attempts``,
        ``webhook_backoff_s``, ``desktop`` (bool), ``urls`` (apprise URLs, one channel each; a
        URL apprise rejects is logged once here and its channel fails each send). ``digest_at``
        is the daemon's (``daemon/history/digest_loop.py``)."""
        known = _RULE_KEYS | _LIMIT_KEYS | set(_WEBHOOK_KEYS) | _OTHER_KEYS
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"alerts: unknown key(s) {unknown}; allowed: {sorted(known)}")
        rules = AlertRules(**{k: v for k, v in config.items() if k in _RULE_KEYS})
        limiter = AlertLimiter(**{k: v for k, v in config.items() if k in _LIMIT_KEYS})
        channels: list[AlertChannel] = []
        if config.get("webhook_url"):
            channels.append(_webhook(config))
        if config.get("urls"):
            # imported only when used: apprise loads ~180 plugins (a fraction of a second on a Pi)
            from processors.alerts.channels.apprise import apprise_channels

            channels.extend(apprise_channels(config["urls"]))
        if config.get("desktop", True):
            channels.append(DesktopChannel())
        return cls(rules, limiter, channels, enabled=bool(config.get("enabled", True)))

    async def __call__(self, task: Any) -> AlertsRaised:
        ctx = context_of(task)
        if not self.enabled:
            return AlertsRaised()
        admitted = []
        suppressed = []
        for alert in self.rules.evaluate(ctx):
            reason = self.limiter.admit(alert)
            if reason is None:
                admitted.append(alert)
            else:
                suppressed.append({"rule": alert.rule, "reason": reason})
        if not admitted:
            return AlertsRaised(suppressed=suppressed)
        alerts: list[dict[str, Any]] = [
            {"rule": a.rule, "severity": a.severity, "message": a.message} for a in admitted
        ]
        event = {
            "id": uuid.uuid4().hex,
            "type": "teddy.alert",
            "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "interaction_id": ctx.interaction_id,
            "alerts": alerts,
        }
        deliveries = await self._deliver(event)
        channels = [HISTORY_CHANNEL, *(d.channel for d in deliveries if d.ok)]
        return AlertsRaised(
            alerts=[RaisedAlert(a.rule, a.severity, a.message, list(channels)) for a in admitted],
            suppressed=suppressed,
            deliveries=[d.to_dict() for d in deliveries],
        )

    async def send_test(
        self, message: str = "This is a test alert from your teddy bear."
    ) -> list[Delivery]:
        """Send one ``info`` alert through every channel now, past the rules and limits (the
        parent pressed "send a test alert"); how each channel did."""
        return await self._deliver(_event("teddy.test", "test", message))

    async def send_digest(
        self, title: str, text: str, data: Mapping[str, Any] | None = None
    ) -> list[Delivery]:
        """Send the daily digest through every channel (an ``info`` message past the rules and
        limits); ``data`` is the digest's figures, for webhook receivers."""
        event = _event("teddy.digest", "digest", text, title=title)
        event["digest"] = dict(data or {})
        return await self._deliver(event)

    async def _deliver(self, event: dict[str, Any]) -> list[Delivery]:
        results = await asyncio.gather(
            *(c.send(event) for c in self.channels), return_exceptions=True
        )
        deliveries = []
        for channel, result in zip(self.channels, results, strict=True):
            if isinstance(result, Delivery):
                deliveries.append(result)
            else:  # a channel bug must not lose the alert (it is still in the result/history)
                log.error("alert channel %s raised: %r", channel.name, result)
                deliveries.append(Delivery(channel.name, False, error=repr(result)))
        return deliveries


def _event(kind: str, rule: str, message: str, title: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "type": kind,
        "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "interaction_id": None,
        "alerts": [{"rule": rule, "severity": "info", "message": message}],
    }
    if title:
        event["title"] = title
    return event


def context_of(task: Any) -> AlertContext:
    """Gather the child's words, emotion and unsafe-input hits from the payload and the
    results of the transcription, emotion and reply dependencies."""
    payload: Mapping[str, Any] = task.payload
    getter = getattr(task, "dependency_result", None)

    def dep(kind: str) -> Any:
        return getter(kind) if callable(getter) else None

    transcript = Transcription.of(dep(TRANSCRIPTION_TYPE)) or Transcription()
    emotion = EmotionReading.of(dep(EMOTION_TYPE))
    reply = Reply.of(dep(AI_RESPONSE_TYPE)) or Reply()
    text = payload.get("text") or transcript.text or ""
    given = payload.get("emotion", emotion)
    if isinstance(given, Mapping):  # an EmotionReading, or a caller's dict
        primary, scores = given.get("primary"), given.get("scores") or {}
    else:
        primary, scores = given, payload.get("scores") or {}
    hits = payload.get("input_safety_hits", reply.input_safety_hits) or []
    return AlertContext(
        interaction_id=str(payload.get("interaction_id") or task.id),
        text=str(text),
        emotion=str(primary) if primary else None,
        scores={str(k): float(v) for k, v in dict(scores).items()},
        input_safety_hits=[h for h in hits if isinstance(h, Mapping)],
        output_safety_hits=[h for h in reply.safety_hits if isinstance(h, Mapping)],
    )


def _webhook(config: Mapping[str, Any]) -> AlertChannel:
    """The webhook channel; a bad secret or secret file is one error line and a channel that
    fails each send with the reason (the bear keeps running, the parent page shows why)."""
    options = {_WEBHOOK_KEYS[k]: v for k, v in config.items() if k in _WEBHOOK_KEYS}
    try:
        secret_file = config.get("webhook_secret_file")
        if secret_file and not options.get("secret"):
            options["secret"] = _read_secret(Path(secret_file))
        return WebhookChannel(**options)
    except ValueError as exc:
        log.error("%s; webhook alerts are off until this is fixed", exc)
        return UnusableChannel(WebhookChannel.name, str(exc))


def _read_secret(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise ValueError(f"alerts.webhook_secret_file {path}: {exc}") from exc


def create_default() -> AlertStage:
    """Default rules and limits; desktop notifications when a session bus exists, no webhook."""
    return AlertStage.from_config({})


_default = functools.cache(create_default)


async def process(task: Any) -> AlertsRaised:
    """The built-in parent-alert processor (entry point ``teddy.processors``, NOTIFICATION)."""
    return await _default()(task)
