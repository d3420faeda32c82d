"""The journal's speaking mark comes before the first sound, on both roads to the speaker, and a
failing mark never silences the bear."""

from __future__ import annotations

from typing import Any

from daemon.interaction.speaking import MarkingSink, marking_step
from processors import create_task


class Log:
    def __init__(self, fail: bool = False) -> None:
        self.events: list[str] = []
        self.fail = fail

    async def mark(self, interaction_id: str) -> None:
        self.events.append(f"mark {interaction_id}")
        if self.fail:
            raise OSError("disk full")

    async def put(self, interaction_id: str, sentence: str) -> None:
        self.events.append(f"say {sentence}")

    async def close(self, interaction_id: str, error: BaseException | None = None) -> None:
        self.events.append(f"close {interaction_id}")


async def test_streamed_sentences_are_marked_once_per_reply_before_the_first() -> None:
    log = Log()
    sink = MarkingSink(log, log.mark)
    await sink.put("i1", "Hello.")
    await sink.put("i1", "Bye.")
    await sink.close("i1")
    await sink.put("i1", "Again.")  # a new reply for the same id after close: marked again
    assert log.events == ["mark i1", "say Hello.", "say Bye.", "close i1", "mark i1", "say Again."]


async def test_the_speech_step_marks_before_it_speaks() -> None:
    log = Log()

    async def speak(task: Any) -> str:
        log.events.append("speak")
        return "spoken"

    step = marking_step(speak, log.mark)
    assert await step(create_task("speech", {"interaction_id": "i2"})) == "spoken"
    assert log.events == ["mark i2", "speak"]


async def test_a_failing_mark_never_stops_the_bear_speaking() -> None:
    log = Log(fail=True)
    await MarkingSink(log, log.mark).put("i3", "Hello.")
    assert log.events == ["mark i3", "say Hello."]
