"""The interaction runner on the real processor and a real SQLite history.

Stages are small stand-ins here (the real ones have their own tests and the end-to-end test):
what is under test is the graph's execution, the history it leaves, and the events it emits.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np

from daemon.history import HistoryStore, PipelineHistory
from daemon.interaction.events import EventBus, EventKind, LatencyTracker, PipelineEvent
from daemon.interaction.graph import ALERTS_TASK_TYPE, SPEECH_TASK_TYPE, PluginStep, StageTimeouts
from daemon.interaction.pipeline import Pipeline
from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    ProcessingType,
)
from processors.stt.errors import UtteranceRejected

AUDIO = np.zeros(8_000, dtype=np.float32)


class Stages:
    """Stand-in stages that record what they saw."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.transcript: str | Exception = "I am scared of the dark"
        self.reply_gate: asyncio.Event | None = None
        self.reply_started = asyncio.Event()

    async def transcribe(self, task: ProcessingTask) -> dict[str, Any]:
        self.seen.append("transcription")
        if isinstance(self.transcript, Exception):
            raise self.transcript
        return {"text": self.transcript}

    async def emotion(self, task: ProcessingTask) -> dict[str, Any]:
        self.seen.append(f"emotion:{task.payload['mode']}")
        return {"primary": "fear", "scores": {"fear": 0.9, "neutral": 0.1}}

    async def reply(self, task: ProcessingTask) -> dict[str, Any]:
        self.seen.append("reply")
        self.reply_started.set()
        if self.reply_gate is not None:
            await self.reply_gate.wait()
        heard = task.dependency_result(ProcessingType.AUDIO_TRANSCRIPTION)
        text = heard["text"] if heard else task.payload.get("text")
        history = task.payload.get("history", [])
        return {
            "reply": f"You said: {text} ({len(history)} turns before)",
            "offline": False,
            "first_token_s": 0.01,
            "safety_hits": [],
            "input_safety_hits": [],
        }

    async def speak(self, task: ProcessingTask) -> dict[str, Any]:
        self.seen.append("speech")
        return {"spoken": "ok", "first_audio_at": asyncio.get_running_loop().time()}

    async def alert(self, task: ProcessingTask) -> dict[str, Any]:
        self.seen.append("alert")
        return {"alerts": [{"rule": "emotion:fear", "severity": "warning", "message": "m"}]}


def make_pipeline(
    processor: AdvancedAsyncProcessor,
    store: HistoryStore,
    stages: Stages,
    events: list[PipelineEvent] | None = None,
    **kw: Any,
) -> Pipeline:
    processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, stages.transcribe)
    processor.register_processor(ProcessingType.EMOTION_ANALYSIS, stages.emotion)
    processor.register_processor(ProcessingType.AI_RESPONSE, stages.reply)
    processor.register_processor(SPEECH_TASK_TYPE, stages.speak)
    processor.register_processor(ALERTS_TASK_TYPE, stages.alert)
    bus = EventBus()
    if events is not None:
        bus.subscribe(events.append)
    pipeline = Pipeline(processor, PipelineHistory(store), bus, **kw)
    processor.on_task_started(pipeline.on_task_started)
    processor.on_task_finished(pipeline.on_task_finished)
    return pipeline


async def test_an_utterance_runs_the_whole_graph_and_is_recorded(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    stages = Stages()
    pipeline = make_pipeline(processor, store, stages)
    outcome = await pipeline.run_interaction(audio=AUDIO)
    assert outcome.status == "done"
    assert stages.seen[:2] in (
        ["transcription", "emotion:audio"],
        ["emotion:audio", "transcription"],
    )
    assert stages.seen[2:4] == ["emotion:text", "reply"]
    (row,) = await store.list(10)
    assert row["status"] == "done"
    assert row["transcript"] == "I am scared of the dark"
    assert row["emotion"] == "fear"
    assert row["reply"].startswith("You said: I am scared")
    timings = row["timings"] if isinstance(row["timings"], dict) else json.loads(row["timings"])
    assert {"transcription_s", "emotion_s", "reply_s", "speech_s", "alerts_s"} <= set(timings)


async def test_a_rejected_utterance_ends_the_chain_with_its_reason(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    stages = Stages()
    stages.transcript = UtteranceRejected("no speech (speech ratio 0.00)")
    pipeline = make_pipeline(processor, store, stages)
    outcome = await pipeline.run_interaction(audio=AUDIO)
    assert outcome.status == "rejected"
    assert "no speech" in (outcome.error or "")
    assert "reply" not in stages.seen and "speech" not in stages.seen
    (row,) = await store.list(10)
    assert row["status"] == "rejected" and "no speech" in row["error"]


async def test_a_failing_stage_cancels_its_dependents_and_names_the_root(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    stages = Stages()
    stages.transcript = RuntimeError("decoder exploded")
    pipeline = make_pipeline(processor, store, stages)
    outcome = await pipeline.run_interaction(audio=AUDIO)
    assert outcome.status == "failed"
    assert outcome.error is not None and outcome.error.startswith("transcription:")
    assert "decoder exploded" in outcome.error
    (row,) = await store.list(10)
    assert row["status"] == "failed"


async def test_typed_text_needs_no_audio_stages(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    stages = Stages()
    pipeline = make_pipeline(processor, store, stages)
    outcome = await pipeline.run_interaction(text="hello teddy", speak=False)
    assert outcome.status == "done"
    assert "transcription" not in stages.seen and "speech" not in stages.seen
    (row,) = await store.list(10)
    assert row["transcript"] == "hello teddy" and row["source"] == "text"


async def test_events_carry_latencies_from_speech_end(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    events: list[PipelineEvent] = []
    tracker = LatencyTracker()
    pipeline = make_pipeline(processor, store, Stages(), events)
    pipeline._bus.subscribe(tracker)
    loop = asyncio.get_running_loop()
    await pipeline.run_interaction(audio=AUDIO, ended_at=loop.time())
    kinds = [e.kind for e in events]
    assert kinds[0] is EventKind.SPEECH_ENDED and kinds[-1] is EventKind.INTERACTION_DONE
    for kind in (
        EventKind.STT_DONE,
        EventKind.EMOTION_DONE,
        EventKind.LLM_FIRST_TOKEN,
        EventKind.TTS_FIRST_AUDIO,
        EventKind.REPLY_DONE,
        EventKind.ALERT_SENT,
    ):
        assert kind in kinds, kind
    ts = [e.t for e in events if e.kind is not EventKind.ALERT_SENT]
    assert all(t >= events[0].t for t in ts)
    summary = tracker.summary()
    assert summary["interaction_done"]["count"] == 1


async def test_a_failing_plugin_step_does_not_fail_the_interaction(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    ran: list[str] = []

    def good(task: ProcessingTask) -> dict[str, int]:
        ran.append("good")
        return {"n": len(task.dependency_results)}

    def bad(task: ProcessingTask) -> None:
        raise ValueError("plug-in bug")

    processor.register_processor("good_step", good)
    processor.register_processor("bad_step", bad)
    steps = [PluginStep("bad_step", depends_on=("reply",)), PluginStep("good_step")]
    pipeline = make_pipeline(processor, store, Stages(), plugin_steps=steps)
    outcome = await pipeline.run_interaction(audio=AUDIO)
    assert outcome.status == "done"
    assert ran == ["good"]
    assert outcome.results["bad_step"].status.value == "failed"
    assert "plug-in bug" in (outcome.results["bad_step"].error or "")


async def test_a_hanging_stage_times_out_and_the_interaction_says_so(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    stages = Stages()
    stages.reply_gate = asyncio.Event()  # never set: the reply hangs
    pipeline = make_pipeline(processor, store, stages, timeouts=StageTimeouts(reply=0.2))
    outcome = await pipeline.run_interaction(audio=AUDIO)
    assert outcome.status == "failed" and "timed out" in (outcome.error or "")
    assert outcome.error is not None and outcome.error.startswith("reply:")
