"""The listener with the gate, on replayed speech and the real Silero VAD: in quiet hours nothing
reaches the utterance handler or the speculator, and the sleeping line is said once."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from daemon.config.family import ParentalConfig
from daemon.hearing import ReplaySource
from daemon.hearing.endpointing import Endpointer, Float32Array, SpeechEnded
from daemon.hearing.gate import SLEEPING_LINE, ListeningGate
from daemon.hearing.listener import Listener
from tests.daemon.hearing.speech import sentences_with_pauses, write

pytestmark = pytest.mark.slow  # the real VAD over ~10 s of speech


class Speculator:
    def __init__(self) -> None:
        self.calls = 0

    def speculate(self, audio: Float32Array) -> bool:
        self.calls += 1
        return True

    def abandon_speculation(self) -> None:
        pass


async def hear(wav: Path, quiet_hours: list[str]) -> tuple[list[SpeechEnded], int, list[str]]:
    said: list[str] = []

    async def say(kind: str, text: str) -> None:
        said.append(text)

    gate = ListeningGate(
        ParentalConfig(quiet_hours=quiet_hours),
        clock=lambda: dt.datetime(2026, 12, 4, 21, 0, tzinfo=dt.UTC),
        say=say,
    )
    heard: list[SpeechEnded] = []
    speculator = Speculator()
    listener = Listener(
        ReplaySource(wav, fast=True, lead_s=0.0), Endpointer(), heard.append, speculator
    )
    listener.gate = gate
    listener.start()
    assert listener._task is not None
    await asyncio.wait_for(asyncio.shield(listener._task), 120)
    await listener.stop()
    await asyncio.sleep(0)
    await gate.aclose()
    return heard, speculator.calls, said


async def test_quiet_hours_hear_nothing_and_say_sleeping_time_once(tmp_path: Path) -> None:
    wav = write(tmp_path / "child.wav", sentences_with_pauses(tmp_path).audio)
    heard, speculated, said = await hear(wav, ["19:30-07:00"])
    assert heard == [] and speculated == 0
    assert said == [SLEEPING_LINE]

    heard, speculated, said = await hear(wav, ["07:00-19:30"])  # awake at 21:00: all three
    assert len(heard) == 3 and said == []
