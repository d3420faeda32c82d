"""Memory across days, end to end: the real processor, pipeline, SQLite history, profile_update
stage and reply stage (the real ``anthropic`` SDK against the local Messages-API server).

Day 1 the child tells the bear about their dog; day 2 (the clock injected one day on, no
conversation turns carried over) the reply's system prompt knows the dog's name; after the parent
deletes the fact it does not. With ``memory.enabled = false`` nothing is kept and nothing used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from daemon.history import ConversationContext, HistoryStore, PipelineHistory
from daemon.history.profile import ProfileContext, ReplyContext, facts, forget
from daemon.interaction.events import EventBus
from daemon.interaction.graph import ALERTS_TASK_TYPE, MEMORY_TASK_TYPE
from daemon.interaction.pipeline import Pipeline
from processors import AdvancedAsyncProcessor, ProcessingTask, ProcessingType
from processors.memory.stage import ProfileUpdater
from processors.reply.stage import Responder
from tests.fake_messages_api import FakeMessagesAPI


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


async def _calm(task: ProcessingTask) -> dict[str, Any]:
    return {"primary": "joy", "scores": {"joy": 1.0}}


async def _no_alerts(task: ProcessingTask) -> dict[str, Any]:
    return {"alerts": []}


def _pipeline(
    processor: AdvancedAsyncProcessor,
    store: HistoryStore,
    api: FakeMessagesAPI,
    clock: Clock,
    *,
    enabled: bool = True,
) -> Pipeline:
    processor.register_processor(ProcessingType.EMOTION_ANALYSIS, _calm)
    processor.register_processor(ALERTS_TASK_TYPE, _no_alerts)
    processor.register_processor(
        ProcessingType.AI_RESPONSE,
        Responder(api_key="test-key", base_url=api.base_url, model="claude-test", max_retries=0),
    )
    processor.register_processor(MEMORY_TASK_TYPE, ProfileUpdater(enabled=enabled))
    memory = {"enabled": enabled, "max_prompt_facts": 6, "max_prompt_chars": 600}
    pipeline = Pipeline(
        processor,
        PipelineHistory(store),
        EventBus(),
        # no turns carried over: what the bear knows on day 2 comes from the profile alone
        context=ReplyContext(
            ConversationContext(store, turns=0), ProfileContext(store, lambda: memory, clock)
        ),
        speak=False,
        memory=enabled,
    )
    processor.on_task_finished(pipeline.on_task_finished)
    return pipeline


def _system(api: FakeMessagesAPI) -> str:
    return str(api.requests[-1].json["system"])


async def test_the_bear_remembers_the_dog_a_day_later_until_the_parent_deletes_it(
    processor: AdvancedAsyncProcessor, store: HistoryStore, messages_api: FakeMessagesAPI
) -> None:
    messages_api.reply("What a lovely dog!")
    clock = Clock()
    pipeline = _pipeline(processor, store, messages_api, clock)

    day1 = await pipeline.run_interaction(text="My dog is called Rex. Tomorrow is my birthday!")
    assert day1.status == "done"
    assert "Rex" not in _system(messages_api)  # nothing known yet
    kept = {(r["kind"], r["value"]): r for r in await facts(store)}
    assert set(kept) == {("pet", "Rex"), ("event", "birthday")}
    assert kept[("pet", "Rex")]["interaction_id"] == day1.interaction_id

    clock.now += dt.timedelta(days=1)
    day2 = await pipeline.run_interaction(text="Guess who wagged his tail at me this morning?")
    assert day2.status == "done"
    system = _system(messages_api)
    assert "Their dog is called Rex." in system
    assert "(today)." in system  # the birthday said "tomorrow" yesterday
    assert system.index("Keeping the child safe") < system.index("Their dog is called Rex.")
    assert messages_api.requests[-1].json["messages"] == [
        {"role": "user", "content": "Guess who wagged his tail at me this morning?"}
    ]

    await forget(store, kept[("pet", "Rex")]["id"])  # the parent deletes it
    clock.now += dt.timedelta(days=1)
    day3 = await pipeline.run_interaction(text="Do you remember my dog?")
    assert day3.status == "done"
    assert "Rex" not in _system(messages_api)
    assert "What you know about the child" in _system(messages_api)  # the birthday is still kept


async def test_memory_off_keeps_nothing_and_uses_nothing(
    processor: AdvancedAsyncProcessor, store: HistoryStore, messages_api: FakeMessagesAPI
) -> None:
    clock = Clock()
    pipeline = _pipeline(processor, store, messages_api, clock, enabled=False)
    outcome = await pipeline.run_interaction(text="My dog is called Rex.")
    assert outcome.status == "done" and "memory" not in outcome.results
    assert await facts(store) == []
    await store.write(
        "INSERT INTO profile_facts (kind, subject, value, source, created_at, updated_at) "
        "VALUES ('pet', 'dog', 'Rex', 'patterns', '2026-01-01', '2026-01-01')"
    )  # kept before the parent switched memory off
    await pipeline.run_interaction(text="Do you remember my dog?")
    assert "Rex" not in _system(messages_api)
    assert "What you know about the child" not in _system(messages_api)


async def test_a_failing_memory_step_does_not_fail_the_interaction(
    processor: AdvancedAsyncProcessor, store: HistoryStore, messages_api: FakeMessagesAPI
) -> None:
    clock = Clock()
    pipeline = _pipeline(processor, store, messages_api, clock)

    async def broken(task: ProcessingTask) -> None:
        raise RuntimeError("memory broke")

    processor.register_processor(MEMORY_TASK_TYPE, broken)
    outcome = await pipeline.run_interaction(text="My dog is called Rex.")
    assert outcome.status == "done"
    assert outcome.results["memory"].status.value == "failed"
    row = await store.get(outcome.interaction_id)
    assert row is not None and row["status"] == "done" and row["reply"]
    assert await facts(store) == []
