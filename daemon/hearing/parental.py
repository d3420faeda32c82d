"""Wires the listening gate into the running daemon: its talk-time ledger is the history, its
voice is the speech stage's speaker, and it is "busy" while the child or the bear has the turn."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from daemon.config.family import ParentalConfig
from daemon.hearing.gate import ListeningGate
from daemon.history.guard import HistoryGuard
from daemon.history.store import HistoryStore
from daemon.history.talktime import talk_time

if TYPE_CHECKING:
    from daemon.config import TeddyConfig
    from daemon.hearing.listener import Listener
    from daemon.interaction.wiring import Stages
    from processors.speech.stage import Speaker


async def attach_gate(
    config: TeddyConfig,
    store: HistoryStore,
    guard: HistoryGuard,
    stages: Stages,
    listener: Listener,
    pending: Callable[[], int],
) -> ListeningGate:
    """Build the gate, read today's talk time (a restart keeps the count) and hand it to the
    listener; the caller runs ``gate.run()`` in the background."""
    speaker = stages.speaker if config.pipeline.speak else None
    gate = build_gate(
        config.parental,
        store=store,
        guard=guard,
        speaker=speaker,
        # goodbye only after the last answer: nobody mid-sentence, nothing waiting to be answered
        busy=lambda: listener.endpointer.in_speech or pending() > 0,
    )
    await gate.refresh()
    listener.gate = gate
    return gate


def build_gate(
    config: ParentalConfig,
    *,
    store: HistoryStore,
    guard: HistoryGuard,
    speaker: Speaker | None,
    busy: Callable[[], bool],
) -> ListeningGate:
    async def ledger(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> tuple[float, int]:
        async def read() -> tuple[float, int]:
            counted = await talk_time(store, start, end, now)
            return counted.seconds, counted.open

        result: tuple[float, int] | None = await guard.read("reading talk time", read, None)
        if result is None:
            raise RuntimeError("the history could not be read")
        return result

    async def say(kind: str, text: str) -> object:
        assert speaker is not None
        # its own interaction id: the line is no reply and leaves no history row
        return await speaker.speak(f"parental-{kind}-{uuid.uuid4().hex[:8]}", text)

    return ListeningGate(config, ledger=ledger, say=say if speaker is not None else None, busy=busy)
