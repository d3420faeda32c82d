"""The reply stage on a blocked sentence: replacement spoken, hit recorded, parent alerted."""

from __future__ import annotations

from processors.alerts.rules import AlertContext, AlertRules
from processors.reply.stage import Responder
from tests.fake_messages_api import FakeMessagesAPI
from tests.processors.reply.helpers import RecordingSink, reply_task

UNSAFE = "Take daddy's gun from the drawer and shoot at the cans."


def _responder(api: FakeMessagesAPI, sink: RecordingSink) -> Responder:
    return Responder(
        api_key="test-key",
        base_url=api.base_url,
        model="claude-test",
        timeout_s=5.0,
        max_retries=1,
        sentence_sink=sink,
    )


async def test_blocked_sentence_is_replaced_recorded_and_alerted(
    messages_api: FakeMessagesAPI,
) -> None:
    messages_api.reply(f"What a fun idea! {UNSAFE} See you soon!")
    sink = RecordingSink()
    result = await _responder(messages_api, sink)(reply_task("what can I play with?"))

    spoken = sink.sentences
    assert spoken[0] == "What a fun idea!" and spoken[-1] == "See you soon!"
    assert UNSAFE not in spoken and len(spoken) == 3
    replacement = spoken[1]
    assert replacement.startswith("Actually, ") and "grown-up" in replacement
    assert "gun" not in result.reply

    hit = result.safety_hits[0]  # the gun (weapons) and the shooting (violence) rules both fire
    assert hit["category"] == "weapons" and hit["severity"] == "high"
    assert hit["text"] == UNSAFE and hit["replacement"] == replacement
    assert all(h["text"] == UNSAFE for h in result.safety_hits)

    alerts = AlertRules(emotions={}, keywords=()).evaluate(
        AlertContext("int-1", text="what can I play with?", output_safety_hits=result.safety_hits)
    )
    assert ("output_safety:weapons", "warning") in [(a.rule, a.severity) for a in alerts]


async def test_safe_advice_is_spoken_as_written(messages_api: FakeMessagesAPI) -> None:
    text = "Knives stay in the drawer, so a grown-up will slice your sandwich. Yum!"
    messages_api.reply(text)
    sink = RecordingSink()
    result = await _responder(messages_api, sink)(reply_task("I want a sandwich"))
    assert " ".join(sink.sentences) == text and result.safety_hits == []
