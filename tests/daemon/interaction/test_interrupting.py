"""The listener's barge-in events reach the speaker: pause at a suspicion, go on when it is
dismissed, stop at a confirmed barge-in; nothing happens before the stages exist."""

from __future__ import annotations

import asyncio

from daemon.hearing.bargein import BargeIn, BargeInDismissed, BargeInSuspected
from daemon.interaction.interrupting import BargeInHandler


class _Speaker:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def hold(self) -> bool:
        self.calls.append("hold")
        return True

    def release(self) -> None:
        self.calls.append("release")

    async def interrupt(self) -> str | None:
        self.calls.append("interrupt")
        return "a"


async def test_each_barge_in_event_does_its_one_thing() -> None:
    speaker = _Speaker()
    handler = BargeInHandler(lambda: speaker)
    handler(BargeInSuspected(1.0))
    handler(BargeInDismissed(1.1))
    handler(BargeInSuspected(2.0))
    handler(BargeIn(2.05, 2.0))
    await asyncio.sleep(0)  # the stop runs as a task (it waits for the device)
    assert speaker.calls == ["hold", "release", "hold", "interrupt"]


async def test_no_speaker_yet_no_action() -> None:
    handler = BargeInHandler(lambda: None)
    handler(BargeInSuspected(1.0))
    handler(BargeIn(1.1, 1.0))  # no error, no task
