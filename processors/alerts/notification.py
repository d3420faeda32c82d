"""NOTIFICATION stage: payload ``kind`` "speech" → the Speaker, "alert" → the parent alerts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Stage = Callable[[Any], Awaitable[dict[str, Any]]]
KINDS = ("speech", "alert")


class NotificationStage:
    """Dispatches NOTIFICATION tasks by ``payload["kind"]``; either part may be left out."""

    def __init__(self, speech: Stage | None = None, alerts: Stage | None = None) -> None:
        self.speech = speech
        self.alerts = alerts

    async def __call__(self, task: Any) -> dict[str, Any]:
        kind = task.payload.get("kind")
        if kind not in KINDS:
            raise ValueError(
                f"notification task {task.id}: payload kind {kind!r} is not one of {KINDS}"
            )
        stage = self.speech if kind == "speech" else self.alerts
        if stage is None:
            raise ValueError(f"notification kind {kind!r} is not configured on this daemon")
        return await stage(task)


def create_default() -> NotificationStage:
    """A Speaker on the default output (hibari, falling back) and the default alert rules;
    both load lazily on first use."""
    from processors.alerts.stage import AlertStage
    from processors.speech.stage import Speaker

    return NotificationStage(speech=Speaker(), alerts=AlertStage.from_config({}))
