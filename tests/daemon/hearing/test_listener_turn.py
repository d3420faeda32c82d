"""The listener judges the speculative decode at a pause and hands the verdict to the endpointer."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pytest

from daemon.hearing import BLOCK, SAMPLE_RATE, AudioFrame, ReplaySource
from daemon.hearing.endpointing import Endpointer, Float32Array, SpeechEnded
from daemon.hearing.listener import Listener
from daemon.hearing.vad import load_vad
from processors.stt.stage import Transcriber
from tests.daemon.hearing.speech import write
from tests.daemon.hearing.test_endpointing import LevelVad, signal
from tests.daemon.hearing.turn_fixtures import audio

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass
class _Said:
    text: str


class DecodedSpeculator:
    """Every pause's decode is already done and says ``text`` (the wiring, not the model)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def speculate(self, audio: Float32Array) -> bool:
        return True

    def abandon_speculation(self) -> None:
        pass

    def speculation_of(self, audio: Float32Array) -> Future[_Said]:
        future: Future[_Said] = Future()
        future.set_result(_Said(self.text))
        return future


class _NoFrames:
    async def frames(self):  # type: ignore[no-untyped-def]
        return
        yield

    def close(self) -> None:
        pass


async def hear(text: str, *parts: tuple[str, float]) -> tuple[Listener, list[SpeechEnded]]:
    ended: list[SpeechEnded] = []
    endpointer = Endpointer(
        LevelVad(), silence_ms=400, pause_ms=180, early_silence_ms=220, unfinished_silence_ms=700
    )
    listener = Listener(_NoFrames(), endpointer, ended.append, DecodedSpeculator(text))  # type: ignore[arg-type]
    listener.start()
    samples = signal(*parts)
    for i in range(0, samples.size - BLOCK + 1, BLOCK):
        for event in endpointer.process(AudioFrame(i / SAMPLE_RATE, samples[i : i + BLOCK])):
            listener._handle(event)
        await asyncio.sleep(0)  # the verdict comes back through the loop
        await asyncio.sleep(0)
    await listener.stop()
    return listener, ended


async def test_a_complete_transcript_ends_the_turn_early_and_counts_it() -> None:
    listener, ended = await hear("Can we play a game?", ("q", 0.5), ("s", 1.0), ("q", 1.0))
    assert listener.turns == {"complete": 1}
    assert len(ended) == 1 and ended[0].early and listener.early_ends == 1
    assert ended[0].t - ended[0].ended_at < 0.3


async def test_speech_soon_after_an_early_end_is_counted_as_a_split() -> None:
    # the tone resumes 300 ms after its end: the plain endpointer would have kept one utterance
    listener, ended = await hear(
        "I like cats.", ("q", 0.5), ("s", 0.8), ("q", 0.3), ("s", 0.8), ("q", 1.0)
    )
    assert len(ended) == 2 and listener.early_split == 1


async def test_an_unfinished_transcript_keeps_the_turn_open_across_a_long_pause() -> None:
    listener, ended = await hear(
        "We played with the", ("q", 0.5), ("s", 0.8), ("q", 0.55), ("s", 0.8), ("q", 1.0)
    )
    assert listener.turns == {"unfinished": 2}  # at the mid-sentence pause and at the end
    assert len(ended) == 1 and not ended[0].early


@pytest.mark.slow
async def test_the_real_decode_in_real_time_keeps_a_paused_sentence_whole(tmp_path: Path) -> None:
    """Replay in real time, tiny.en speculating at each pause: however long the decode takes
    here, the 550 ms pause after "... the park and" does not end the turn."""
    stage = Transcriber(backend="faster-whisper", cpu_threads=2)
    stage.load_sync()
    wav = write(tmp_path / "paused.wav", audio("paused_conjunction"))
    ended: list[SpeechEnded] = []
    endpointer = Endpointer(
        load_vad("silero"),
        silence_ms=400,
        pause_ms=180,
        early_silence_ms=220,
        unfinished_silence_ms=700,
    )
    listener = Listener(ReplaySource(wav, lead_s=0.0, tail_s=0.5), endpointer, ended.append, stage)
    listener.start()
    assert listener._task is not None
    await asyncio.wait_for(asyncio.shield(listener._task), 60)
    await listener.stop()
    stage.close()
    assert len(ended) == 1, [e.duration_s for e in ended]
    assert ended[0].duration_s > 3.0
    assert sum(listener.turns.values()) >= 1
