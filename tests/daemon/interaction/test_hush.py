"""A bare "stop" after a barge-in gets silence; anything more gets a reply."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.interaction.hush import hush_step, is_stop_request
from processors import ProcessingTask
from processors.results import Reply


@pytest.mark.parametrize(
    "text",
    ["Stop!", "Stop teddy, stop!", "Be quiet.", "Shush.", "Teddy, shush please.", "shh", "Stop it"],
)
def test_bare_stop_requests(text: str) -> None:
    assert is_stop_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "Stop teddy, stop! I want to ask something else.",
        "Stop the car",
        "I want to stop",
        "Can you be quiet like a mouse and tell me a story?",
        "",
    ],
)
def test_more_than_a_stop_request(text: str) -> None:
    assert not is_stop_request(text)


def _task(transcript: str) -> ProcessingTask:
    task = ProcessingTask("ai_response", {"interaction_id": "i1"})
    task.depends_on = ["t"]
    task.dependency_results["t"] = {"text": transcript}
    task.dependency_types["t"] = "audio_transcription"
    return task


async def test_the_step_answers_a_stop_with_silence_and_asks_the_model_otherwise() -> None:
    asked: list[Any] = []

    async def responder(task: Any) -> Reply:
        asked.append(task)
        return Reply(reply="Of course! What would you like to ask?")

    step = hush_step(responder)
    quiet = await step(_task("Stop, teddy!"))
    assert isinstance(quiet, Reply) and quiet.reply == "" and quiet.interaction_id == "i1"
    assert asked == []
    answered = await step(_task("Stop teddy, stop! I want to ask something else."))
    assert answered.reply.startswith("Of course") and len(asked) == 1
