"""What one interaction ended with: its status and each step's result, typed where the stage is
built in (a plug-in step's result stays whatever the plug-in returned)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daemon.interaction.graph import ALERTS, EMOTION, REPLY, SPEECH, TRANSCRIPTION
from processors import TaskResult, TaskStatus
from processors.results import AlertsRaised, EmotionReading, Reply, Spoken, Transcription


@dataclass
class InteractionOutcome:
    interaction_id: str
    status: str
    results: dict[str, TaskResult] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def result_of(self, step: str) -> Any:
        """The value a step completed with (None if it did not complete or did not run)."""
        res = self.results.get(step)
        return res.result if res is not None and res.status is TaskStatus.COMPLETED else None

    @property
    def transcription(self) -> Transcription | None:
        return Transcription.of(self.result_of(TRANSCRIPTION))

    @property
    def emotion(self) -> EmotionReading | None:
        return EmotionReading.of(self.result_of(EMOTION))

    @property
    def reply(self) -> Reply | None:
        return Reply.of(self.result_of(REPLY))

    @property
    def spoken(self) -> Spoken | None:
        return Spoken.of(self.result_of(SPEECH))

    @property
    def alerts(self) -> AlertsRaised | None:
        return AlertsRaised.of(self.result_of(ALERTS))
