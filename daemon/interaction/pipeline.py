"""The interaction pipeline: one utterance in; one job graph, history and events out.

Interactions run one after another (a new utterance while the bear is still answering waits its
turn), so the reply to utterance N+1 sees turn N in its context and only one interaction speaks at a
time. Within an interaction the graph runs as parallel as its dependencies allow.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from daemon.interaction.events import EventBus, EventKind, PipelineEvent
from daemon.interaction.graph import (
    ALERTS,
    EMOTION,
    HISTORY,
    REPLY,
    SPEECH,
    SPEECH_TASK_TYPE,
    TRANSCRIPTION,
    PluginStep,
    StageTimeouts,
    build_graph,
)
from daemon.interaction.outcome import InteractionOutcome
from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    TaskPriority,
    TaskResult,
    TaskStatus,
)
from processors.results import AlertsRaised, Reply, Spoken
from processors.stt.errors import UtteranceRejected

log = logging.getLogger(__name__)

_STAGE_EVENTS = {
    TRANSCRIPTION: EventKind.STT_DONE,
    EMOTION: EventKind.EMOTION_DONE,
    REPLY: EventKind.REPLY_DONE,
}


class HistorySink(Protocol):
    """What the pipeline needs from the history (the SQLite store implements it via an adapter).
    Implementations never raise for a failed write (``daemon.history.guard``)."""

    async def record_heard(self, interaction_id: str, *, audio: Any, sample_rate: int) -> bool: ...

    async def record_dropped(
        self, interaction_id: str, *, audio: Any, sample_rate: int, reason: str
    ) -> None: ...

    async def record_captured(
        self,
        interaction_id: str,
        *,
        source: str,
        audio: Any | None,
        sample_rate: int,
        text: str | None = None,
    ) -> None: ...

    async def record_stage(
        self, interaction_id: str, step: str, task: ProcessingTask, result: TaskResult
    ) -> None: ...

    async def finish(
        self,
        interaction_id: str,
        *,
        status: str,
        timings: Mapping[str, float],
        error: str | None,
    ) -> None: ...


ContextProvider = Callable[[], Awaitable[dict[str, Any]]]


@dataclass
class _Live:
    """Book-keeping of one running interaction (task id → step, monotonic stage times)."""

    interaction_id: str
    t0: float
    steps: dict[str, str] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    writes: list[asyncio.Future[None]] = field(default_factory=list)


class Pipeline:
    def __init__(
        self,
        processor: AdvancedAsyncProcessor,
        history: HistorySink,
        bus: EventBus,
        *,
        context: ContextProvider | None = None,
        plugin_steps: Sequence[PluginStep] = (),
        timeouts: StageTimeouts | None = None,
        speak: bool = True,
        memory: bool = False,
    ) -> None:
        self._processor = processor
        self._history = history
        self._bus = bus
        self.context = context
        self.plugin_steps = list(plugin_steps)
        self._timeouts = timeouts or StageTimeouts()
        self._speak = speak
        #: add the ``profile_update`` step (``memory.enabled``; SIGHUP may change it)
        self.memory = memory
        self._live: dict[str, _Live] = {}
        self._by_task: dict[str, _Live] = {}
        self._turn = asyncio.Lock()

    # -- processor hooks (registered by the daemon) -------------------------------------------

    def on_task_started(self, task: ProcessingTask) -> None:
        live = self._by_task.get(task.id)
        if live is not None:
            live.started[task.id] = time.monotonic()

    def on_task_finished(self, task: ProcessingTask, result: TaskResult) -> None:
        """Sync hook: stamp the time now, record in order; ``_finish`` awaits the writes."""
        live = self._by_task.get(task.id)
        if live is None:
            return
        now = time.monotonic()
        write = asyncio.ensure_future(self._record(live, task, result, now))
        live.writes.append(write)

    async def _record(
        self, live: _Live, task: ProcessingTask, result: TaskResult, now: float
    ) -> None:
        step = live.steps[task.id]
        if result.execution_time is not None:
            live.timings[f"{step}_s"] = round(float(result.execution_time), 4)
        try:
            await self._history.record_stage(live.interaction_id, step, task, result)
        except Exception:
            log.exception("history: recording step %s of %s failed", step, live.interaction_id)
        if result.status is not TaskStatus.COMPLETED:
            if result.status is not TaskStatus.CANCELLED:
                await self._emit(EventKind.ERROR, live, now, step=step, error=result.error)
            return
        await self._stage_events(live, step, task, result.result, now)

    async def _stage_events(
        self, live: _Live, step: str, task: ProcessingTask, value: Any, now: float
    ) -> None:
        reply = Reply.of(value) if step == REPLY else None
        if reply is not None and reply.first_token_s is not None:
            started = live.started.get(task.id)
            if started is not None:
                await self._emit(EventKind.LLM_FIRST_TOKEN, live, started + reply.first_token_s)
        spoken = Spoken.of(value) if step == SPEECH else None
        if spoken is not None and spoken.first_audio_at is not None:
            await self._emit(EventKind.TTS_FIRST_AUDIO, live, spoken.first_audio_at)
        raised = AlertsRaised.of(value) if step == ALERTS else None
        for alert in raised.alerts if raised is not None else ():
            await self._emit(EventKind.ALERT_SENT, live, now, **alert.to_dict())
        kind = _STAGE_EVENTS.get(step)
        if kind is not None:
            await self._emit(kind, live, now)

    async def _emit(self, kind: EventKind, live: _Live, t: float, **data: Any) -> None:
        if kind not in (EventKind.ERROR, EventKind.ALERT_SENT):
            live.timings[f"{kind.value}_latency_s"] = round(t - live.t0, 4)
        await self._bus.emit(PipelineEvent(kind, live.interaction_id, t=t, data=data))

    @property
    def running(self) -> int:
        return len(self._live)

    # -- one interaction ------------------------------------------------------------------------

    async def run_interaction(
        self,
        *,
        audio: Any | None = None,
        sample_rate: int = 16_000,
        text: str | None = None,
        ended_at: float | None = None,
        speak: bool | None = None,
        interaction_id: str | None = None,
    ) -> InteractionOutcome:
        """One interaction. With ``interaction_id`` its journal row exists already (a queued or
        resumed utterance); without, the row is written first (``teddy chat``, tests)."""
        async with self._turn:
            return await self._run(audio, sample_rate, text, ended_at, speak, interaction_id)

    async def speak_reply(self, interaction_id: str, reply: str) -> InteractionOutcome:
        """Resume a row whose reply was given but never spoken: say it, do not ask again."""
        async with self._turn:
            live = self._begin(interaction_id, None)
            task = ProcessingTask(
                SPEECH_TASK_TYPE,
                {"interaction_id": interaction_id, "text": reply},
                priority=TaskPriority.HIGH,
                timeout=self._timeouts.speech,
            )
            live.steps[task.id] = SPEECH
            self._by_task[task.id] = live
            try:
                return await self._submit_and_wait(live, {SPEECH: task})
            finally:
                self._end(live)

    def _begin(self, interaction_id: str, ended_at: float | None) -> _Live:
        now = time.monotonic()
        # min(): a --fast replay's virtual clock runs ahead of real time; latencies are measured
        # on this process's monotonic clock from when the utterance reached us, never negative.
        live = _Live(interaction_id, now if ended_at is None else min(ended_at, now))
        self._live[interaction_id] = live
        return live

    def _end(self, live: _Live) -> None:
        for task_id in live.steps:
            self._by_task.pop(task_id, None)
        self._live.pop(live.interaction_id, None)

    async def _run(
        self,
        audio: Any | None,
        sample_rate: int,
        text: str | None,
        ended_at: float | None,
        speak: bool | None,
        interaction_id: str | None,
    ) -> InteractionOutcome:
        if interaction_id is None:
            interaction_id = uuid.uuid4().hex
            # Recorded (and committed) before anything runs: the basis of crash recovery.
            await self._history.record_captured(
                interaction_id,
                source="text" if text is not None else "microphone",
                audio=audio,
                sample_rate=sample_rate,
                text=text,
            )
        live = self._begin(interaction_id, ended_at)
        try:
            return await self._graph_run(live, audio, sample_rate, text, speak)
        finally:
            self._end(live)

    async def _graph_run(
        self,
        live: _Live,
        audio: Any | None,
        sample_rate: int,
        text: str | None,
        speak: bool | None,
    ) -> InteractionOutcome:
        interaction_id = live.interaction_id
        await self._emit(EventKind.SPEECH_ENDED, live, live.t0)
        context: dict[str, Any] = {}
        if self.context is not None:
            try:
                context = await self.context()
            except Exception as exc:  # the history is unreadable: answer without the context
                log.warning("reply context unavailable (%s: %s)", type(exc).__name__, exc)
        graph = build_graph(
            interaction_id,
            audio=audio,
            sample_rate=sample_rate,
            text=text,
            reply_context=context,
            speak=self._speak if speak is None else speak,
            plugin_steps=self.plugin_steps,
            timeouts=self._timeouts,
            memory=self.memory,
        )
        for task in graph.tasks.values():
            self._by_task[task.id] = live
        live.steps.update({task.id: step for step, task in graph.tasks.items()})
        return await self._submit_and_wait(live, graph.tasks)

    async def _submit_and_wait(
        self, live: _Live, tasks: Mapping[str, ProcessingTask]
    ) -> InteractionOutcome:
        outcome = InteractionOutcome(live.interaction_id, status="failed")
        submitted: dict[str, str] = {}
        try:
            for step, task in tasks.items():
                submitted[step] = await self._processor.submit_task(task)
            for step, task_id in submitted.items():
                outcome.results[step] = await self._processor.wait_for_task(task_id)
        except asyncio.CancelledError:
            # Shutdown past its grace period: cancel what is left and leave the journal row in
            # its last state, so the next start resumes it from there.
            for task_id in submitted.values():
                await self._processor.cancel_task(task_id)
            if live.writes:  # what got done is committed, so the resume starts from there
                pending = asyncio.gather(*live.writes, return_exceptions=True)
                await asyncio.wait({pending}, timeout=2.0)
            outcome.status = "unfinished"
            log.info("interaction %s left unfinished for the next start", live.interaction_id)
            raise
        except Exception as exc:  # e.g. QueueFull: the interaction fails, the daemon does not
            log.exception("interaction %s could not be submitted", live.interaction_id)
            for task_id in submitted.values():
                await self._processor.cancel_task(task_id)
            await self._finish(live, outcome, "failed", f"{type(exc).__name__}: {exc}")
            return outcome
        status, error = _status_of(outcome.results)
        await self._finish(live, outcome, status, error)
        return outcome

    async def _finish(
        self, live: _Live, outcome: InteractionOutcome, status: str, error: str | None
    ) -> None:
        # Stage records (from the finished hook) land before the final status, never after it.
        if live.writes:
            await asyncio.gather(*live.writes, return_exceptions=True)
        await self._emit(EventKind.INTERACTION_DONE, live, time.monotonic(), status=status)
        outcome.status, outcome.error, outcome.timings = status, error, dict(live.timings)
        try:
            await self._history.finish(
                live.interaction_id, status=status, timings=outcome.timings, error=error
            )
        except Exception:
            log.exception("history: finishing %s failed", live.interaction_id)


def _status_of(results: Mapping[str, TaskResult]) -> tuple[str, str | None]:
    """The interaction's status: done, or what stopped it (the root failure, not its cascade)."""
    core = [s for s in (TRANSCRIPTION, EMOTION, REPLY, SPEECH, ALERTS, HISTORY) if s in results]
    for step in core:
        res = results[step]
        if res.status is TaskStatus.COMPLETED:
            continue
        error = res.error or res.status.value
        if isinstance(res.exception, UtteranceRejected):
            return "rejected", error
        if res.status is TaskStatus.CANCELLED:
            continue  # a cascade: the root cause is reported by the step that failed
        return "failed", f"{step}: {error}"  # a timeout is a failure; the error says which
    if all(results[s].status is TaskStatus.COMPLETED for s in core):
        spoken = Spoken.of(results[SPEECH].result) if SPEECH in results else None
        if spoken is not None and spoken.interrupted:
            return "interrupted", "the child spoke over the reply"
        return "done", None
    return "failed", next((results[s].error for s in core if results[s].error), "cancelled")
