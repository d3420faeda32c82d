"""The listener's barge-in events, acted on by the speaker: pause, go on, or stop.

The bear pauses at a suspected barge-in (the guard's first stir), so a child's "Stop!" is not
talked over while the guard makes sure; a dismissed one lets it go on where it paused; a
confirmed one stops the reply (the interaction ends ``interrupted``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from daemon.hearing.bargein import BargeInDismissed, BargeInSuspected
from daemon.hearing.speech_events import BargeInEvent


class Interruptible(Protocol):
    """What barge-in needs of the speaker (``processors.speech.stage.Speaker``)."""

    def hold(self) -> bool: ...

    def release(self) -> None: ...

    async def interrupt(self) -> str | None: ...


class BargeInHandler:
    """``Listener.on_barge_in``; ``speaker()`` is None until the stages exist."""

    def __init__(self, speaker: Callable[[], Interruptible | None]) -> None:
        self.speaker = speaker
        self._stopping: set[asyncio.Task[Any]] = set()

    def __call__(self, event: BargeInEvent) -> None:
        speaker = self.speaker()
        if speaker is None:
            return
        if isinstance(event, BargeInSuspected):
            speaker.hold()
        elif isinstance(event, BargeInDismissed):
            speaker.release()
        else:
            task = asyncio.create_task(speaker.interrupt(), name="teddy-barge-in")
            self._stopping.add(task)  # held until done (the loop keeps only weak references)
            task.add_done_callback(self._stopping.discard)
