"""Intake: journal first, a bounded backlog whose drops are rows, resume ahead of new speech,
and a shutdown that leaves waiting utterances in the journal."""

from __future__ import annotations

import asyncio

import numpy as np

from daemon.history import HistoryStore, PipelineHistory
from daemon.history.journal import Journal
from daemon.interaction.intake import Intake
from processors import AdvancedAsyncProcessor
from tests.daemon.interaction.test_pipeline import Stages, make_pipeline

AUDIO = np.zeros(8_000, dtype=np.float32)


async def _settle(store: HistoryStore, n: int) -> None:
    for _ in range(200):
        if len(await store.list(None)) >= n:
            return
        await asyncio.sleep(0.01)


async def test_one_at_a_time_with_the_last_turn_as_context(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    from daemon.history import ConversationContext

    stages = Stages()
    stages.reply_gate = asyncio.Event()
    pipeline = make_pipeline(processor, store, stages, context=ConversationContext(store, 6, 300.0))
    intake = Intake(pipeline, PipelineHistory(store), Journal(store))
    intake.start()
    assert intake.hear(AUDIO, 16_000, 0.0) and intake.hear(AUDIO, 16_000, 0.0)
    await stages.reply_started.wait()
    assert stages.seen.count("transcription") == 1  # the second waits its turn
    await _settle(store, 2)
    assert len(await store.list(10)) == 2  # both journaled while the first is answered
    stages.reply_gate.set()
    for _ in range(300):
        if [r["status"] for r in await store.list(10)] == ["done", "done"]:
            break
        await asyncio.sleep(0.01)
    await intake.stop(5)
    rows = await store.list(10)
    assert [r["status"] for r in rows] == ["done", "done"]
    assert rows[0]["reply"].endswith("(0 turns before)")
    assert rows[1]["reply"].endswith("(2 turns before)")


async def test_a_full_backlog_drops_into_a_row_and_counts(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    drops: list[str] = []
    pipeline = make_pipeline(processor, store, Stages())
    intake = Intake(pipeline, PipelineHistory(store), max_pending=1, on_drop=drops.append)
    assert intake.hear(AUDIO, 16_000, 0.0)
    assert not intake.hear(AUDIO, 16_000, 0.0)
    assert intake.dropped == 1 and drops == ["backlog_full"]
    await _settle(store, 2)
    statuses = sorted(r["status"] for r in await store.list(None))
    assert statuses == ["dropped", "heard"]
    await intake.stop(0)


async def test_stop_leaves_waiting_utterances_heard_for_the_next_start(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    stages = Stages()
    stages.reply_gate = asyncio.Event()  # the first interaction never finishes
    pipeline = make_pipeline(processor, store, stages)
    journal = Journal(store)
    intake = Intake(pipeline, PipelineHistory(journal), journal)
    intake.start()
    for _ in range(3):
        intake.hear(AUDIO, 16_000, 0.0)
    await stages.reply_started.wait()
    assert not await intake.stop(0.1)  # the running one is cut off
    rows = await store.list(None)
    assert sorted(r["status"] for r in rows) == ["heard", "heard", "transcribed"]
    plan = await journal.resume_plan(300.0, speak=True)
    assert [p.kind for p in plan] == ["text", "audio", "audio"]
    # the next start answers all three, oldest first
    stages.reply_gate.set()
    again = Intake(pipeline, PipelineHistory(journal), journal)
    again.resume(plan)
    again.start()
    for _ in range(300):
        if all(r["status"] == "done" for r in await store.list(None)):
            break
        await asyncio.sleep(0.01)
    await again.stop(5)
    assert [r["status"] for r in await store.list(None)] == ["done"] * 3
    assert not list(journal.audio_dir.glob("*.flac"))


async def test_a_replied_row_is_resumed_by_speaking_its_reply_not_asking_again(
    processor: AdvancedAsyncProcessor, store: HistoryStore
) -> None:
    from daemon.history.journal import Resume

    stages = Stages()
    pipeline = make_pipeline(processor, store, stages)
    await store.record_captured(interaction_id="r1", transcript="is it night?")
    await store.update_stage("r1", "reply", status="replied", reply="Yes, sleep tight.")
    intake = Intake(pipeline, PipelineHistory(store))
    intake.resume([Resume("r1", "speak", "", transcript="is it night?", reply="Yes, sleep tight.")])
    intake.start()
    for _ in range(300):
        row = await store.get("r1")
        if row is not None and row["status"] == "done":
            break
        await asyncio.sleep(0.01)
    await intake.stop(5)
    assert stages.seen == ["speech"]  # no transcription, no reply: said once, asked once
    row = await store.get("r1")
    assert row is not None and (row["status"], row["reply"]) == ("done", "Yes, sleep tight.")
