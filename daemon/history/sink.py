"""Glue between the interaction pipeline and the store.

:class:`PipelineHistory` is the pipeline's ``HistorySink``: the journal's ``heard`` row, each
finished task, and a completed stage's result committed onto the interaction at once (transcript,
emotion, reply, alerts). :class:`HistoryWriter` is the processor function of the graph's final
history step: it re-applies the dependency results idempotently, so the row is complete even if a
hook was missed. Every write goes through the :class:`HistoryGuard`, so none of them can fail an
interaction: a full disk degrades health, never the bear's answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from daemon.history.guard import HistoryGuard
from daemon.history.journal import Journal
from daemon.history.profile import remember
from daemon.history.store import HistoryStore
from processors.results import (
    AlertsRaised,
    EmotionReading,
    ProfileUpdate,
    Reply,
    Spoken,
    Transcription,
)

log = logging.getLogger(__name__)

# task type -> (status reached, how its result maps onto interaction fields)
_STAGE_STATUS = {
    "audio_transcription": "transcribed",
    "ai_response": "replied",
}


def _type_name(task: Any) -> str:
    kind = getattr(task, "task_type", "")
    return str(getattr(kind, "value", kind))


def _payload(task: Any) -> Mapping[str, Any]:
    payload = getattr(task, "payload", None)
    return payload if isinstance(payload, Mapping) else {}


def stage_fields(task_type: str, payload: Mapping[str, Any], result: Any) -> dict[str, Any]:
    """The interaction columns a completed stage fills (empty for stages that fill none)."""
    if task_type == "audio_transcription":
        transcript = Transcription.of(result)
        return {} if transcript is None else {"transcript": transcript.text}
    if task_type == "emotion_analysis":
        if payload.get("mode") == "audio":
            return {}  # acoustic cues alone: the text emotion that follows is the verdict
        reading = EmotionReading.of(result)
        return (
            {}
            if reading is None
            else {"emotion": reading.primary, "emotion_scores": reading.scores}
        )
    if task_type == "text_analysis" and isinstance(result, Mapping):  # a plain dict, untyped
        return {"emotion": result.get("primary"), "emotion_scores": result.get("emotion_scores")}
    if task_type == "ai_response":
        reply = Reply.of(result)
        if reply is None:
            return {}
        hits = [{"scope": "output", **dict(h)} for h in reply.safety_hits]
        hits += [{"scope": "input", **dict(h)} for h in reply.input_safety_hits]
        return {
            "reply": reply.reply,
            "offline": reply.offline,
            "offline_reason": reply.offline_reason,
            "safety_hits": hits,
        }
    if task_type == "speech":
        spoken = Spoken.of(result)
        if spoken is None or spoken.heard_fraction is None:
            return {}
        return {"heard_fraction": spoken.heard_fraction}  # a barge-in cut the reply short
    return {}


class PipelineHistory:
    """Implements ``daemon.interaction.pipeline.HistorySink`` on a :class:`Journal`."""

    def __init__(self, journal: Journal | HistoryStore, guard: HistoryGuard | None = None) -> None:
        self.journal = journal if isinstance(journal, Journal) else Journal(journal)
        self.store = self.journal.store
        self.guard = guard or HistoryGuard()

    async def record_heard(self, interaction_id: str, *, audio: Any, sample_rate: int) -> bool:
        """The journal's ``heard`` row and audio; False if held in memory (disk trouble)."""
        return await self.guard.write(
            f"journal {interaction_id}",
            lambda: self.journal.heard(interaction_id, audio, sample_rate),
        )

    async def record_dropped(
        self, interaction_id: str, *, audio: Any, sample_rate: int, reason: str
    ) -> None:
        await self.guard.write(
            f"dropped {interaction_id}",
            lambda: self.journal.dropped(interaction_id, audio, sample_rate, reason),
        )

    async def record_captured(
        self,
        interaction_id: str,
        *,
        source: str,
        audio: Any | None,
        sample_rate: int,
        text: str | None = None,
    ) -> None:
        if audio is not None:
            await self.record_heard(interaction_id, audio=audio, sample_rate=sample_rate)
            return
        await self.guard.write(
            f"interaction {interaction_id}",
            lambda: self.store.record_captured(
                interaction_id=interaction_id, source=source, transcript=text
            ),
        )

    async def record_stage(self, interaction_id: str, step: str, task: Any, result: Any) -> None:
        status = getattr(getattr(result, "status", None), "value", str(result.status))
        kind = _type_name(task)
        store, write = self.store, self.guard.write
        await write(
            f"task {step} of {interaction_id}",
            lambda: store.record_task(
                interaction_id,
                task_id=str(task.id),
                step=step,
                type=kind,
                priority=int(getattr(task, "priority", 0) or 0) or None,
                attempts=int(getattr(result, "attempts", 0) or 0),
                status=status,
                duration_s=float(getattr(result, "execution_time", 0.0) or 0.0),
                error=getattr(result, "error", None),
            ),
        )
        if status != "completed":
            return
        value = getattr(result, "result", None)
        fields = stage_fields(kind, _payload(task), value)
        new_status = _STAGE_STATUS.get(kind) if fields else None
        if step == "speech":
            new_status = "spoken"
        if fields or new_status:
            await write(
                f"{step} of {interaction_id}",
                lambda: store.update_stage(interaction_id, step, status=new_status, **fields),
            )
        update = ProfileUpdate.of(value) if kind == "profile_update" else None
        if update is not None and update.facts:
            await write(
                f"profile facts of {interaction_id}",
                lambda: remember(
                    store, update.facts, source=update.source, interaction_id=interaction_id
                ),
            )
        raised = AlertsRaised.of(value) if step == "alerts" else None
        for alert in raised.alerts if raised is not None else ():
            await write(
                f"alert of {interaction_id}",
                lambda alert=alert: store.record_alert(  # type: ignore[misc]
                    interaction_id,
                    rule=alert.rule,
                    severity=alert.severity,
                    message=alert.message,
                    channels=alert.channels or ["history"],
                ),
            )

    async def finish(
        self,
        interaction_id: str,
        *,
        status: str,
        timings: Mapping[str, float],
        error: str | None,
    ) -> None:
        """The final state, then (only once that is written) the audio file goes."""
        write = self.guard.write
        await write(
            f"final state of {interaction_id}",
            lambda: self.store.finish(interaction_id, status, timings=timings, error=error),
        )
        await write(
            f"audio of {interaction_id}", lambda: self.journal.release_audio(interaction_id)
        )


class HistoryWriter:
    """Processor function for the graph's history step (``DATABASE_OPERATION``)."""

    def __init__(self, store: HistoryStore, guard: HistoryGuard | None = None) -> None:
        self.store = store
        self.guard = guard or HistoryGuard()

    async def __call__(self, task: Any) -> dict[str, Any]:
        interaction_id = _payload(task).get("interaction_id")
        if not isinstance(interaction_id, str) or not interaction_id:
            raise ValueError("history step needs payload['interaction_id']")
        fields: dict[str, Any] = {}
        for kind in ("audio_transcription", "emotion_analysis", "text_analysis", "ai_response"):
            value = task.dependency_result(kind)
            fields.update({k: v for k, v in stage_fields(kind, {}, value).items() if v is not None})
        saved = True
        if fields:
            saved = await self.guard.write(
                f"history step of {interaction_id}",
                lambda: self.store.update_stage(interaction_id, "history", **fields),
            )
        return {"interaction_id": interaction_id, "recorded": sorted(fields), "saved": saved}
