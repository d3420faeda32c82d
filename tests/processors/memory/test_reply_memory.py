"""The reply stage with the child's profile: a bounded block after the safety rules (Claude, via
the real SDK and the local server), a personal touch offline, nothing without a profile."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from processors import ProcessingTask, ProcessingType
from processors.reply.llm.offline import OfflineResponder, personal_touch
from processors.reply.llm.prompt import build_system_prompt
from processors.reply.stage import Responder
from tests.fake_messages_api import FakeMessagesAPI

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
REX = {"id": 1, "kind": "pet", "subject": "dog", "value": "Rex", "updated_at": NOW.isoformat()}
CAKE = {"id": 2, "kind": "likes", "subject": "", "value": "cake", "updated_at": NOW.isoformat()}


def _task(text: str, facts: list[dict[str, Any]] | None, **limits: int) -> ProcessingTask:
    payload: dict[str, Any] = {"interaction_id": "int-1", "text": text}
    if facts is not None:
        payload["profile"] = {"facts": facts, "now": NOW.isoformat(), **limits}
    return ProcessingTask(ProcessingType.AI_RESPONSE, payload)


def _online(api: FakeMessagesAPI) -> Responder:
    return Responder(api_key="k", base_url=api.base_url, model="claude-test", max_retries=0)


async def test_claude_hears_the_facts_after_the_safety_rules(messages_api: FakeMessagesAPI) -> None:
    responder = _online(messages_api)
    await responder(_task("How is my dog?", [REX, CAKE]))
    await responder.aclose()
    system = messages_api.requests[-1].json["system"]
    assert system.startswith("You are Teddy")
    assert system.index("Keeping the child safe") < system.index("- Their dog is called Rex.")
    assert "- They like cake." in system


async def test_the_limits_of_the_payload_bound_the_block(messages_api: FakeMessagesAPI) -> None:
    responder = _online(messages_api)
    many = [
        {**CAKE, "id": i, "value": f"thing {chr(97 + i % 26)} {chr(97 + i // 26 % 26)}"}
        for i in range(1000)
    ]
    await responder(_task("hello", [REX, *many], max_facts=50, max_chars=300))
    await responder(_task("hello", None))
    await responder.aclose()
    with_facts, without = (r.json["system"] for r in messages_api.requests[-2:])
    assert 0 < len(with_facts) - len(without) <= 300 + 200  # the facts, the header
    assert with_facts.count("\n- ") <= 50


async def test_no_profile_no_block(messages_api: FakeMessagesAPI) -> None:
    responder = _online(messages_api)
    await responder(_task("hello", None))
    await responder(_task("hello", []))
    await responder(_task("hello", [{"kind": "pet", "value": ""}, "junk"]))  # type: ignore[list-item]
    await responder.aclose()
    assert all("What you know" not in r.json["system"] for r in messages_api.requests)
    assert build_system_prompt(5) == build_system_prompt(5, memory="")


async def test_a_bad_clock_costs_the_facts_not_the_reply(messages_api: FakeMessagesAPI) -> None:
    responder = _online(messages_api)
    task = _task("hello", [REX])
    task.payload["profile"]["now"] = "yesterday-ish"
    result = await responder(task)
    await responder.aclose()
    assert result.reply and "Rex" not in messages_api.requests[-1].json["system"]


async def test_offline_the_bear_names_the_remembered_dog() -> None:
    responder = Responder(offline=OfflineResponder(random.Random(3)))
    result = await responder(_task("I played with my dog today", [REX, CAKE]))
    assert result.offline and result.reply.endswith("I remember Rex, your dog!")
    plain = await responder(_task("I played with my dog today", None))
    assert "Rex" not in plain.reply


def test_the_personal_touch_fits_or_stays_out() -> None:
    assert personal_touch("Rex ran away from the bath", [REX]) == "I remember Rex, your dog!"
    assert personal_touch("I like trains", [REX]) == ""
    assert personal_touch("my dog", [CAKE]) == ""
    offline = OfflineResponder(random.Random(1))
    # never after a worry: a scared child gets comfort, not chit-chat
    line = offline.reply("my dog is scared and so am I", "fear", (), [REX])
    assert "Rex" not in line
