"""Endpointer state machine (scripted VAD) and the real VADs on synthesized speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from daemon.hearing import BLOCK, SAMPLE_RATE, AudioFrame, ReplaySource
from daemon.hearing.endpointing import (
    Endpointer,
    Event,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    UtteranceDropped,
    listen,
)
from daemon.hearing.vad import load_vad
from daemon.hearing.vad.energy import EnergyVad
from tests.daemon.hearing.speech import sentences_with_pauses, write


class LevelVad:
    """Scripted detector: a window is speech when its peak is above 0.1 (tests the logic only)."""

    name = "level"
    window = 512

    def __call__(self, window: npt.NDArray[np.float32]) -> float:
        return 1.0 if float(np.abs(window).max()) > 0.1 else 0.0

    def reset(self) -> None:
        pass


def signal(*parts: tuple[str, float]) -> npt.NDArray[np.float32]:
    """('s', seconds) = loud tone, ('q', seconds) = silence."""
    out = []
    for kind, seconds in parts:
        n = round(seconds * SAMPLE_RATE)
        if kind == "s":
            out.append((0.5 * np.sin(np.arange(n) * 0.2)).astype(np.float32))
        else:
            out.append(np.zeros(n, np.float32))
    return np.concatenate(out)


def run(ep: Endpointer, audio: npt.NDArray[np.float32], t0: float = 100.0) -> list[Event]:
    events: list[Event] = []
    for i in range(0, audio.size - BLOCK + 1, BLOCK):
        events += ep.process(AudioFrame(t0 + i / SAMPLE_RATE, audio[i : i + BLOCK]))
    return events + ep.flush()


def kinds(events: list[Event]) -> list[type]:
    """Event types without the speculation events (SpeechPaused / SpeechResumed)."""
    return [type(e) for e in events if not isinstance(e, SpeechPaused | SpeechResumed)]


def test_utterance_has_pre_roll_and_boundaries() -> None:
    ep = Endpointer(LevelVad(), silence_ms=400, pre_roll_ms=300)
    events = run(ep, signal(("q", 1.0), ("s", 1.0), ("q", 1.0)))
    assert kinds(events) == [SpeechStarted, SpeechEnded]
    end = events[-1]
    assert isinstance(end, SpeechEnded)
    assert abs(end.started_at - 101.0) <= 0.033
    assert abs(end.ended_at - 102.0) <= 0.033
    assert abs(end.audio_started_at - (end.started_at - 0.3)) <= 0.033
    assert abs(end.t - end.ended_at - 0.4) <= 0.033
    assert end.audio.dtype == np.float32
    assert abs(end.audio.size / SAMPLE_RATE - (end.ended_at + 0.15 - end.audio_started_at)) < 0.01


def test_short_click_is_dropped() -> None:
    events = run(Endpointer(LevelVad()), signal(("q", 0.5), ("s", 0.1), ("q", 1.0)))
    assert isinstance(events[-1], UtteranceDropped)
    assert events[-1].reason == "too_short"
    assert events[-1].duration_s < 0.25


def test_long_speech_is_cut_at_max_length() -> None:
    ep = Endpointer(LevelVad(), max_utterance_s=2.0)
    events = run(ep, signal(("q", 0.5), ("s", 5.0), ("q", 1.0)))
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 3
    assert ended[0].cut and ended[1].cut and not ended[2].cut
    assert all(e.duration_s <= 2.05 for e in ended)


def test_bear_speaking_gates_detection() -> None:
    ep = Endpointer(LevelVad(), echo_tail_ms=300)
    ep.set_bear_speaking(True)
    events = run(ep, signal(("q", 0.3), ("s", 1.0), ("q", 0.5)))
    assert events == []
    ep.set_bear_speaking(False)
    # The echo tail right after the bear stops is ignored too; later speech is heard.
    later = run(ep, signal(("s", 0.2), ("q", 0.5), ("s", 1.0), ("q", 1.0)), t0=101.8)
    assert kinds(later) == [SpeechStarted, SpeechEnded]


def test_bear_starting_to_speak_drops_the_open_utterance() -> None:
    ep = Endpointer(LevelVad())
    audio = signal(("q", 0.3), ("s", 0.6))
    for i in range(0, audio.size - BLOCK + 1, BLOCK):
        ep.process(AudioFrame(i / SAMPLE_RATE, audio[i : i + BLOCK]))
    assert ep.in_speech
    dropped = ep.set_bear_speaking(True)
    assert len(dropped) == 1 and isinstance(dropped[0], UtteranceDropped)
    assert dropped[0].reason == "bear_speaking"


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="silence_ms"):
        Endpointer(LevelVad(), silence_ms=0)
    with pytest.raises(ValueError, match="unknown VAD"):
        load_vad("nope")


@pytest.mark.parametrize("kind", ["silero", "energy"])
async def test_vad_finds_three_sentences_in_replay(kind: str, tmp_path: Path) -> None:
    speech = sentences_with_pauses(tmp_path)
    wav = write(tmp_path / "three.wav", speech.audio)
    source = ReplaySource(wav, fast=True, lead_s=0.0)
    vad = load_vad(kind)
    assert vad.name == kind
    events = [e async for e in listen(source, Endpointer(vad))]
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 3
    origin = source.file_offsets[0][1]
    for utterance, (start, end) in zip(ended, speech.segments, strict=True):
        assert abs(utterance.started_at - (origin + start)) <= 0.15
        assert -0.15 <= utterance.ended_at - (origin + end) <= 0.5


def test_energy_vad_ignores_steady_noise() -> None:
    vad = EnergyVad()
    rng = np.random.default_rng(0)
    noise = (0.01 * rng.standard_normal(SAMPLE_RATE * 3)).astype(np.float32)
    probs = [vad(noise[i : i + 512]) for i in range(0, noise.size - 511, 512)]
    assert max(probs[20:]) < 0.5


# -- speculation: pause events ---------------------------------------------------------------


def test_a_short_pause_announces_the_audio_the_utterance_will_have() -> None:
    ep = Endpointer(LevelVad(), silence_ms=400, pause_ms=180)
    events = run(ep, signal(("q", 1.0), ("s", 1.0), ("q", 1.0)))
    assert [type(e) for e in events] == [SpeechStarted, SpeechPaused, SpeechEnded]
    paused, ended = events[1], events[2]
    assert isinstance(paused, SpeechPaused) and isinstance(ended, SpeechEnded)
    assert 0.15 <= paused.t - paused.ended_at <= 0.22  # announced ~180 ms into the silence
    assert ended.t - paused.t >= 0.18  # ... well before the endpointer decides
    np.testing.assert_array_equal(paused.audio, ended.audio)  # bit-identical: a cache key


def test_speech_after_the_pause_resumes_and_the_end_carries_more_audio() -> None:
    ep = Endpointer(LevelVad(), silence_ms=400, pause_ms=180)
    events = run(ep, signal(("q", 0.5), ("s", 0.8), ("q", 0.25), ("s", 0.8), ("q", 1.0)))
    assert [type(e) for e in events] == [
        SpeechStarted,
        SpeechPaused,
        SpeechResumed,
        SpeechPaused,
        SpeechEnded,
    ]
    first, second, ended = events[1], events[3], events[4]
    assert isinstance(first, SpeechPaused) and isinstance(second, SpeechPaused)
    assert isinstance(ended, SpeechEnded)
    assert first.audio.size < ended.audio.size
    np.testing.assert_array_equal(second.audio, ended.audio)


def test_no_pause_event_for_a_click_or_when_switched_off() -> None:
    click = run(Endpointer(LevelVad()), signal(("q", 0.5), ("s", 0.1), ("q", 1.0)))
    assert not any(isinstance(e, SpeechPaused) for e in click)
    off = run(Endpointer(LevelVad(), pause_ms=0), signal(("q", 0.5), ("s", 1.0), ("q", 1.0)))
    assert kinds(off) == [type(e) for e in off]
    # A pause as long as the end-of-utterance silence would be no earlier: not announced.
    late = Endpointer(LevelVad(), silence_ms=200, pause_ms=200)
    assert late.pause_s == 0.0
