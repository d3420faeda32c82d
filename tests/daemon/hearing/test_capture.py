"""Capture + VAD through the real PulseAudio rig: sentences spoken into the virtual mic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pytest
from scipy.signal import correlate

from daemon.hearing import AudioFrame, MicrophoneSource
from daemon.hearing.endpointing import Endpointer, Event, SpeechEnded, SpeechStarted, listen
from tests.daemon.hearing.speech import RATE, sentences_with_pauses, write

if TYPE_CHECKING:
    from tests.audio_rig import AudioRig

pytestmark = [pytest.mark.slow, pytest.mark.audio, pytest.mark.timeout(120)]


class Tap:
    """Wraps a source: keeps every frame and signals when audio flows and when to stop."""

    def __init__(self, source: MicrophoneSource) -> None:
        self.source = source
        self.kept: list[AudioFrame] = []
        self.flowing = asyncio.Event()
        self.stop_after: float | None = None  # stream time after which the source is closed

    async def frames(self) -> AsyncIterator[AudioFrame]:
        async for frame in self.source.frames():
            self.kept.append(frame)
            self.flowing.set()
            yield frame
            if self.stop_after is not None and frame.t >= self.stop_after:
                self.source.close()

    def audio(self) -> tuple[float, npt.NDArray[np.float32]]:
        return self.kept[0].t, np.concatenate([f.samples for f in self.kept])


def align(captured: npt.NDArray[np.float32], reference: npt.NDArray[np.float32]) -> int:
    """Sample offset of ``reference`` inside ``captured`` (cross-correlation peak)."""
    corr = correlate(captured, reference, mode="valid", method="fft")
    return int(np.argmax(corr))


async def speak_and_listen(
    rig: AudioRig, wav: Path, endpointer: Endpointer
) -> tuple[list[Event], Tap]:
    tap = Tap(MicrophoneSource(None))
    events: list[Event] = []

    async def consume() -> None:
        async for event in listen(tap, endpointer):
            events.append(event)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(tap.flowing.wait(), 10)
    player = await asyncio.create_subprocess_exec(
        "paplay", "--device=mic_in", str(wav), env=rig.env
    )
    assert await asyncio.wait_for(player.wait(), 60) == 0
    tap.stop_after = tap.kept[-1].t + 1.5  # let the last end-of-speech decision happen
    await asyncio.wait_for(task, 20)
    return events, tap


async def test_three_sentences_give_three_utterances_with_accurate_boundaries(
    audio_rig: AudioRig, tmp_path: Path
) -> None:
    speech = sentences_with_pauses(tmp_path)
    wav = write(tmp_path / "three.wav", speech.audio)
    events, tap = await speak_and_listen(audio_rig, wav, Endpointer(silence_ms=400))

    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 3, events
    assert sum(isinstance(e, SpeechStarted) for e in events) == 3
    t0, captured = tap.audio()
    offset = align(captured, speech.audio)
    origin = t0 + offset / RATE  # stream time of the WAV's first sample
    for utterance, (start, end) in zip(ended, speech.segments, strict=True):
        true_start, true_end = origin + start, origin + end
        assert -0.150 <= true_start - utterance.started_at, (utterance.started_at, true_start)
        assert utterance.started_at - true_start <= 0.150
        assert -0.150 <= utterance.ended_at - true_end <= 0.500, (utterance.ended_at, true_end)
        assert utterance.t - true_end <= 0.500  # the end is also *announced* within 500 ms
        # Last word not clipped either: the audio runs past the true end.
        assert utterance.audio_started_at + utterance.audio.size / RATE >= true_end
        # First word not clipped: the sentence's first 0.4 s is found whole inside the utterance
        # audio, preceded by at least 100 ms of pre-roll.
        first = round(start * RATE)
        reference = speech.audio[first : first + 2 * RATE // 5]
        found = align(utterance.audio, reference)
        assert found >= RATE // 10
        piece = utterance.audio[found : found + reference.size]
        assert np.corrcoef(piece, reference)[0, 1] > 0.9
