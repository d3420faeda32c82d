"""The AI_RESPONSE stage end to end: the real SDK against the local Messages-API server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from processors.reply.stage import Responder, create_default
from tests.fake_messages_api import Behaviour, FakeMessagesAPI
from tests.processors.reply.helpers import RecordingSink, chained_task, reply_task


def _responder(
    api: FakeMessagesAPI | None, sink: RecordingSink | None = None, **kw: Any
) -> Responder:
    settings: dict[str, Any] = {
        "api_key": "test-key" if api is not None else None,
        "base_url": api.base_url if api is not None else None,
        "model": "claude-test",
        "timeout_s": 5.0,
        "max_retries": 1,
        "max_retry_after_s": 0.05,
        "sentence_sink": sink,
    }
    return Responder(**{**settings, **kw})


async def test_reply_streams_safe_sentences_to_the_sink(messages_api: FakeMessagesAPI) -> None:
    messages_api.reply("Hello, friend! I love honey. Shall we play?", chunk_size=5)
    sink = RecordingSink()
    result = await _responder(messages_api, sink)(reply_task("hi teddy"))
    assert sink.sentences == ["Hello, friend!", "I love honey.", "Shall we play?"]
    assert sink.closes == [("int-1", None)]
    assert result["reply"] == "Hello, friend! I love honey. Shall we play?"
    assert result["offline"] is False and result["offline_reason"] is None
    assert result["model"] == "claude-test" and result["safety_hits"] == []
    assert result["first_token_s"] is not None and result["llm_s"] >= result["first_token_s"]


async def test_the_first_sentence_is_spoken_before_the_reply_is_complete(
    messages_api: FakeMessagesAPI,
) -> None:
    messages_api.reply(
        "Hi there! And more words here.", chunks=("Hi there! ", "And ", "more."), gate_after=2
    )
    done_at_put: list[float | None] = []

    def probe(sentence: str) -> None:
        done_at_put.append(messages_api.timing.done_at)
        messages_api.open_gate()

    result = await _responder(messages_api, RecordingSink(on_put=probe))(reply_task())
    assert done_at_put[0] is None  # the server was held mid-stream until the first sentence arrived
    assert result["sentences"] == ["Hi there!", "And more."] and result["offline"] is False


async def test_request_carries_prompt_history_and_emotion(messages_api: FakeMessagesAPI) -> None:
    history = [
        {"role": "user", "content": "I have a cat"},
        {"role": "assistant", "content": "Nice!"},
    ]
    task = chained_task("my cat is lost", "sadness")
    task.payload["history"] = history
    await _responder(messages_api, child_age=4)(task)
    body = messages_api.requests[-1].json
    assert body["model"] == "claude-test" and body["stream"] is True
    assert "4 years old" in body["system"] and "sad" in body["system"]
    assert body["messages"] == [*history, {"role": "user", "content": "my cat is lost"}]


async def test_unsafe_sentence_is_replaced_and_recorded(messages_api: FakeMessagesAPI) -> None:
    messages_api.reply("Sure! Grab the big knife from the drawer. Then light the matches. Bye!")
    sink = RecordingSink()
    responder = _responder(messages_api, sink)
    result = await responder(reply_task())
    # the blocked sentences are replaced by lines that fit (the bear has spoken: "Actually, ...")
    assert sink.sentences[0] == "Sure!" and sink.sentences[-1] == "Bye!"
    replaced = sink.sentences[1:-1]
    assert replaced and all(line.startswith("Actually, ") for line in replaced)
    assert all(responder.safety.is_safe(line) for line in replaced)
    assert [h["rule"] for h in result["safety_hits"]] == ["weapons.knives", "fire.matches_lighters"]
    assert "knife" not in result["reply"] and "matches" not in result["reply"]


async def test_child_disclosure_is_an_input_hit_and_steers_the_prompt(
    messages_api: FakeMessagesAPI,
) -> None:
    result = await _responder(messages_api)(reply_task("someone hurt me"))
    assert [h["rule"] for h in result["input_safety_hits"]] == ["input.hurt_by_someone"]
    assert "abuse_disclosure" in messages_api.requests[-1].json["system"]


async def test_no_key_replies_offline_without_calling(messages_api: FakeMessagesAPI) -> None:
    sink = RecordingSink()
    responder = _responder(None, sink)
    result = await responder(reply_task("hello teddy"))
    assert responder.state == "offline"
    assert result["offline"] is True and result["offline_reason"] == "no_api_key"
    assert result["model"] == "offline" and sink.sentences and messages_api.requests == []


async def test_unauthorized_replies_offline_and_shows_in_state(
    messages_api: FakeMessagesAPI,
) -> None:
    messages_api.behave(status=401)
    responder = _responder(messages_api)
    result = await responder(reply_task())
    assert (result["offline"], result["offline_reason"]) == (True, "unauthorized")
    assert responder.state == "unauthorized" and len(messages_api.requests) == 1
    messages_api.behave(status=200)
    await responder(reply_task())
    assert responder.state == "ok"


@pytest.mark.parametrize(
    ("status", "reason"), [(429, "rate_limited"), (500, "api_error"), (529, "overloaded")]
)
async def test_retryable_errors_are_retried_then_offline(
    messages_api: FakeMessagesAPI, status: int, reason: str
) -> None:
    messages_api.behave(status=status, retry_after="120")
    started = time.monotonic()
    responder = _responder(messages_api)
    result = await responder(reply_task("I feel sad", emotion="sadness"))
    assert time.monotonic() - started < 60  # retry-after 120 was capped
    assert len(messages_api.requests) == 2  # one retry
    assert (result["offline"], result["offline_reason"]) == (True, reason)  # distinct reasons
    assert responder.state == "error" and result["reply"]


async def test_a_transient_error_recovers_on_retry(messages_api: FakeMessagesAPI) -> None:
    messages_api.enqueue(Behaviour(status=529))
    result = await _responder(messages_api)(reply_task())
    assert result["offline"] is False and len(messages_api.requests) == 2


async def test_overall_deadline_gives_an_offline_reply_in_time(
    messages_api: FakeMessagesAPI,
) -> None:
    messages_api.behave(initial_delay_s=60.0)
    started = time.monotonic()
    result = await _responder(messages_api, timeout_s=0.4)(reply_task("hello"))
    assert time.monotonic() - started < 30  # far below the 60 s the server would take
    assert (result["offline"], result["offline_reason"]) == (True, "timeout")


async def test_slow_stream_past_the_deadline_keeps_what_was_said(
    messages_api: FakeMessagesAPI,
) -> None:
    messages_api.reply("", chunks=("Hello there! ", "More ", "words."), gate_after=2)
    sink = RecordingSink()
    result = await _responder(messages_api, sink, timeout_s=1.0)(reply_task())
    assert result["offline_reason"] == "timeout" and result["partial"] is True
    assert sink.sentences[0] == "Hello there!" and sink.sentences[-1] == result["sentences"][-1]


@pytest.mark.parametrize("fault", ["garbage", "malformed_json", "empty", "truncated"])
async def test_malformed_responses_reply_offline(messages_api: FakeMessagesAPI, fault: str) -> None:
    messages_api.behave(fault=fault, reply="Hello! How are you?")
    result = await _responder(messages_api)(reply_task("hello"))
    assert result["offline"] is True and result["offline_reason"] == "malformed"
    assert result["reply"]


async def test_mid_stream_disconnect_ends_kindly(messages_api: FakeMessagesAPI) -> None:
    messages_api.behave(
        fault="disconnect", chunks=("Boats! ", "I like ", "boats. ", "And"), disconnect_after=3
    )
    sink = RecordingSink()
    result = await _responder(messages_api, sink)(reply_task("I had toast"))
    assert result["offline_reason"] == "api_error" and result["partial"] is True
    assert sink.sentences[:2] == ["Boats!", "I like boats."]
    assert sink.sentences == result["sentences"] and len(sink.sentences) > 2


async def test_an_error_event_in_the_stream_ends_kindly(messages_api: FakeMessagesAPI) -> None:
    messages_api.behave(
        fault="error_event", chunks=("Boats float! ", "I like "), disconnect_after=1
    )
    result = await _responder(messages_api)(reply_task("I had toast"))
    # the fake server's error event is Anthropic's overloaded_error
    assert result["offline"] is True and result["offline_reason"] == "overloaded"
    assert result["partial"] is True and result["sentences"][0] == "Boats float!"


async def test_cancellation_closes_the_sink_with_the_error(messages_api: FakeMessagesAPI) -> None:
    messages_api.behave(chunks=("Hi! ", "more "), chunk_delay_s=5.0)
    sink = RecordingSink()
    job = asyncio.create_task(_responder(messages_api, sink)(reply_task()))
    await messages_api.wait_for_requests(1)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert len(sink.closes) == 1 and isinstance(sink.closes[0][1], asyncio.CancelledError)


async def test_a_broken_sink_does_not_make_the_reply_offline(messages_api: FakeMessagesAPI) -> None:
    result = await _responder(messages_api, RecordingSink(fail=True))(reply_task())
    assert result["offline"] is False and result["streamed"] is False and result["reply"]


async def test_missing_words_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="child's words"):
        await _responder(None)(reply_task(None))


def test_key_file_is_read(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("sk-test\n")
    assert Responder(api_key_file=key).state == "ok"
    assert Responder(api_key_file=tmp_path / "missing").state == "offline"


def test_create_default_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert create_default().state == "offline"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    assert create_default().state == "ok"


async def test_runs_on_the_job_processor_after_transcription_and_emotion(
    messages_api: FakeMessagesAPI,
) -> None:
    from processors import ProcessingType, TaskStatus, create_processor, create_task

    processor = await create_processor()

    async def stt(task: Any) -> dict[str, Any]:
        return {"text": "can we play a game"}

    async def emotion(task: Any) -> dict[str, Any]:
        return {"primary": "joy"}

    processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, stt)
    processor.register_processor(ProcessingType.EMOTION_ANALYSIS, emotion)
    processor.register_processor(ProcessingType.AI_RESPONSE, _responder(messages_api))
    try:
        first = create_task(ProcessingType.AUDIO_TRANSCRIPTION, {})
        second = create_task(ProcessingType.EMOTION_ANALYSIS, {}, depends_on=[first.id])
        reply = create_task(ProcessingType.AI_RESPONSE, {}, depends_on=[first.id, second.id])
        for task in (first, second, reply):
            await processor.submit_task(task)
        result = await processor.wait_for_task(reply.id, timeout=20)
    finally:
        await processor.shutdown()
    assert result.status == TaskStatus.COMPLETED, result.error
    assert result.result["offline"] is False
    assert messages_api.requests[-1].json["messages"][-1]["content"] == "can we play a game"
    assert "happy" in messages_api.requests[-1].json["system"]


def test_health_reports_state_and_model() -> None:
    assert Responder(api_key=None).health() == {
        "state": "offline",
        "model": "claude-haiku-4-5",
        "last_error": None,
    }


async def test_very_long_input_is_cut(messages_api: FakeMessagesAPI) -> None:
    await _responder(messages_api)(reply_task("blah " * 5000))
    assert len(messages_api.requests[-1].json["messages"][-1]["content"]) <= 2000
