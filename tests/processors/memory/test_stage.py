"""The PROFILE_UPDATE stage: offline patterns, and Claude's tool call through the real SDK
against the local Messages-API server."""

from __future__ import annotations

from typing import Any

from processors import ProcessingTask
from processors.memory.llm import TOOL_NAME, ToolExtractor
from processors.memory.stage import ProfileUpdater
from processors.results import ProfileFact, ProfileUpdate
from tests.fake_messages_api import FakeMessagesAPI


def _task(text: str | None = None, heard: str | None = None, **payload: Any) -> ProcessingTask:
    body: dict[str, Any] = {"interaction_id": "int-1", **payload}
    if text is not None:
        body["text"] = text
    task = ProcessingTask("profile_update", body, depends_on=["stt"] if heard else [])
    if heard is not None:
        task.dependency_types = {"stt": "audio_transcription"}
        task.dependency_results = {"stt": {"text": heard}}
    return task


def _online(api: FakeMessagesAPI) -> ProfileUpdater:
    return ProfileUpdater(
        llm=ToolExtractor(
            api_key="test-key", model="claude-test", base_url=api.base_url, max_retries=0
        )
    )


async def test_offline_the_patterns_read_the_transcription() -> None:
    result = await ProfileUpdater()(_task(heard="My dog is called Rex."))
    assert isinstance(result, ProfileUpdate)
    assert result.facts == [ProfileFact("pet", "dog", "Rex")] and result.source == "patterns"


async def test_the_clock_in_the_payload_dates_events() -> None:
    result = await ProfileUpdater()(
        _task("Tomorrow is my birthday", now="2026-03-09T10:00:00+00:00")
    )
    assert result.facts == [ProfileFact("event", "2026-03-10", "birthday")]


async def test_memory_off_extracts_nothing(messages_api: FakeMessagesAPI) -> None:
    updater = _online(messages_api)
    updater.enabled = False
    result = await updater(_task("My dog is called Rex."))
    assert result.facts == [] and result.source == "off"
    assert messages_api.requests == []  # nothing about the child left the device


async def test_claude_proposes_facts_with_a_forced_tool_call(
    messages_api: FakeMessagesAPI,
) -> None:
    messages_api.tool_input = {
        "facts": [
            {"kind": "pet", "subject": "Dog", "value": "rex"},
            {"kind": "likes", "subject": "", "value": "Building Sandcastles"},
        ]
    }
    updater = _online(messages_api)
    result = await updater(_task("My dog Rex and me build sandcastles, I love that"))
    await updater.aclose()
    assert result.source == "llm"
    assert result.facts == [
        ProfileFact("pet", "dog", "Rex"),
        ProfileFact("likes", "", "building sandcastles"),
    ]
    sent = messages_api.requests[-1].json
    assert sent["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert sent["tools"][0]["name"] == TOOL_NAME
    assert sent["messages"] == [
        {"role": "user", "content": "My dog Rex and me build sandcastles, I love that"}
    ]


async def test_unsafe_proposals_from_claude_are_refused(messages_api: FakeMessagesAPI) -> None:
    messages_api.tool_input = {
        "facts": [
            {"kind": "address", "subject": "", "value": "12 Oak Street"},
            {"kind": "likes", "subject": "", "value": "my password is bunny"},
            {"kind": "friend", "subject": "friend", "value": "Sam 07700 900123"},
            {"kind": "pet", "subject": "cat", "value": "Tom"},
            "not a fact",
        ]
    }
    updater = _online(messages_api)
    result = await updater(_task("My cat is Tom"))
    await updater.aclose()
    assert result.facts == [ProfileFact("pet", "cat", "Tom")]
    assert result.refused == [
        "address: unknown kind 'address'",
        "likes: personal data",
        "friend: contains a number",
    ]


async def test_the_patterns_answer_when_the_api_fails(messages_api: FakeMessagesAPI) -> None:
    messages_api.fail(500, times=3)
    updater = _online(messages_api)
    result = await updater(_task("I have a cat named Tom"))
    await updater.aclose()
    assert len(messages_api.requests) >= 1
    assert result.source == "patterns" and result.facts == [ProfileFact("pet", "cat", "Tom")]


async def test_no_words_no_facts() -> None:
    assert (await ProfileUpdater()(_task())).facts == []


async def test_no_first_person_no_second_api_call(messages_api: FakeMessagesAPI) -> None:
    """A question about the world tells nothing about the child: no extraction call for it."""
    updater = _online(messages_api)
    result = await updater(_task("Why is the sky blue?"))
    assert result.facts == [] and result.source == "patterns"
    assert messages_api.requests == []
    await updater(_task("I have a hamster called Bun."))
    assert len(messages_api.requests) == 1
    await updater.aclose()
