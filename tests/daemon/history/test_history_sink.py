"""The pipeline writes the history through PipelineHistory: a real processor, a real pipeline,
a real SQLite file; stage functions are small stand-ins with the documented result shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from daemon.history import HistoryStore, HistoryWriter, PipelineHistory
from daemon.history.sink import stage_fields
from daemon.interaction.events import EventBus
from daemon.interaction.graph import ALERTS_TASK_TYPE, SPEECH_TASK_TYPE
from daemon.interaction.pipeline import Pipeline
from processors import AdvancedAsyncProcessor, ProcessingTask, ProcessingType
from processors.stt.errors import UtteranceRejected

Setup = tuple[Pipeline, HistoryStore, AdvancedAsyncProcessor]


async def transcribe(task: ProcessingTask) -> dict[str, Any]:
    if float(np.max(np.abs(task.payload["audio_data"]))) == 0.0:
        raise UtteranceRejected("no speech")
    return {"text": "I am scared of the dark", "segments": [], "processing_s": 0.1}


async def emotion(task: ProcessingTask) -> dict[str, Any]:
    if task.payload.get("mode") == "audio":
        return {"primary": "neutral", "scores": {"neutral": 1.0}, "audio": {}}
    return {"primary": "fear", "scores": {"fear": 0.8, "neutral": 0.2}}


async def reply(task: ProcessingTask) -> dict[str, Any]:
    return {
        "reply": "You are safe with me.",
        "offline": True,
        "offline_reason": "no_api_key",
        "safety_hits": [],
        "input_safety_hits": [{"rule": "scary", "category": "scary"}],
    }


async def speak(task: ProcessingTask) -> dict[str, Any]:
    return {"spoken": "You are safe with me.", "audio_s": 1.0}


async def alert(task: ProcessingTask) -> dict[str, Any]:
    raised = {"rule": "emotion:fear", "severity": "warning", "message": "scared", "channels": []}
    return {"alerts": [raised], "suppressed": []}


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    store = await HistoryStore.open(tmp_path / "h.sqlite3")
    processor = AdvancedAsyncProcessor(max_workers=4, max_process_workers=1)
    await processor.start()
    for kind, fn in (
        (ProcessingType.AUDIO_TRANSCRIPTION, transcribe),
        (ProcessingType.EMOTION_ANALYSIS, emotion),
        (ProcessingType.AI_RESPONSE, reply),
        (SPEECH_TASK_TYPE, speak),
        (ALERTS_TASK_TYPE, alert),
        (ProcessingType.DATABASE_OPERATION, HistoryWriter(store)),
    ):
        processor.register_processor(kind, fn)
    pipeline = Pipeline(processor, PipelineHistory(store), EventBus())
    processor.on_task_started(pipeline.on_task_started)
    processor.on_task_finished(pipeline.on_task_finished)
    yield pipeline, store, processor
    await processor.shutdown(timeout=5)
    await store.close()


async def test_interaction_is_recorded_stage_by_stage(
    setup: Setup,
) -> None:
    pipeline, store, processor = setup
    outcome = await pipeline.run_interaction(audio=np.full(1600, 0.1, dtype=np.float32))
    await processor.hooks.drain(5)  # async finished-hooks (the history writes) have run
    assert outcome.status == "done"
    row = await store.get(outcome.interaction_id)
    assert row is not None
    assert row["status"] == "done" and row["transcript"] == "I am scared of the dark"
    assert row["emotion"] == "fear" and row["emotion_scores"]["fear"] == 0.8
    assert row["reply"] == "You are safe with me." and row["offline"] is True
    assert row["offline_reason"] == "no_api_key"
    assert row["safety_hits"] == [{"scope": "input", "rule": "scary", "category": "scary"}]
    assert row["timings"]  # per-stage seconds from the pipeline
    tasks = await store.tasks_of(outcome.interaction_id)
    steps = {t["step"] for t in tasks if t["status"] == "completed"}
    assert {"transcription", "acoustic", "emotion", "reply", "speech", "alerts"} <= steps
    (alert,) = await store.alerts_of(outcome.interaction_id)
    assert alert["rule"] == "emotion:fear" and alert["channels"] == ["history"]


async def test_rejected_utterance_is_recorded_with_its_reason(
    setup: Setup,
) -> None:
    pipeline, store, processor = setup
    outcome = await pipeline.run_interaction(audio=np.zeros(1600, dtype=np.float32))
    await processor.hooks.drain(5)
    row = await store.get(outcome.interaction_id)
    assert row is not None and row["status"] == "rejected" and "no speech" in row["error"]
    assert row["transcript"] is None and row["reply"] is None
    cancelled = [
        t for t in await store.tasks_of(outcome.interaction_id) if t["status"] == "cancelled"
    ]
    assert cancelled  # the dependents were cancelled and that is on record


def test_acoustic_only_emotion_fills_nothing() -> None:
    assert stage_fields("emotion_analysis", {"mode": "audio"}, {"primary": "joy"}) == {}
    assert stage_fields("audio_transcription", {}, None) == {}
