"""Acoustic cues (YIN pitch, energy, rate, pauses) and arousal relative to a speaker baseline."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from processors.emotion.audio import SpeakerBaselines, extract_cues, yin_pitch
from tests.processors.emotion.conftest import Speak

RATE = 16_000


def tone(hz: float, seconds: float = 1.0, amp: float = 0.3) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * RATE)) / RATE
    # a few harmonics, like a voice, so the fundamental is not the only peak
    wave = np.sum([np.sin(2 * np.pi * hz * k * t) / k for k in (1, 2, 3)], axis=0)
    return np.asarray(amp * wave / 1.8, dtype=np.float32)


@pytest.mark.parametrize("hz", [110.0, 220.0, 400.0])
def test_yin_finds_the_fundamental(hz: float) -> None:
    f0 = yin_pitch(tone(hz).astype(np.float64))
    voiced = f0[f0 > 0]
    assert voiced.size > 0.9 * f0.size
    assert abs(12 * np.log2(np.median(voiced) / hz)) < 0.1  # semitones


def test_silence_has_no_speech() -> None:
    cues = extract_cues(np.zeros(RATE, dtype=np.float32))
    assert not cues.has_speech
    assert cues.pitch_hz is None


def test_white_noise_has_no_pitch() -> None:
    noise = (0.1 * np.random.default_rng(1).standard_normal(RATE)).astype(np.float32)
    assert extract_cues(noise).pitch_hz is None


def test_pauses_are_counted() -> None:
    gap = np.zeros(int(0.4 * RATE), dtype=np.float32)
    quiet = np.zeros(int(0.2 * RATE), dtype=np.float32)
    audio = np.concatenate([quiet, tone(200, 0.5), gap, tone(200, 0.5), gap, tone(200, 0.5)])
    cues = extract_cues(audio)
    assert cues.pause_count == 2
    assert 0.2 < cues.pause_fraction < 0.5


def test_speech_cues_from_espeak(speak: Speak) -> None:
    low = extract_cues(speak("I went to the park with my mommy today", pitch=20))
    high = extract_cues(speak("I went to the park with my mommy today", pitch=80))
    assert low.has_speech and high.has_speech
    assert high.pitch_mean_st is not None and low.pitch_mean_st is not None
    assert high.pitch_mean_st - low.pitch_mean_st > 4.0
    assert 2.0 < low.speaking_rate < 9.0


def test_first_utterance_sets_the_baseline() -> None:
    baselines = SpeakerBaselines()
    arousal, _ = baselines.score("kid", extract_cues(tone(300)))
    assert arousal == pytest.approx(0.5)
    assert baselines.count("kid") == 1


def test_silence_does_not_move_the_baseline() -> None:
    baselines = SpeakerBaselines()
    arousal, _ = baselines.score("kid", extract_cues(np.zeros(RATE, dtype=np.float32)))
    assert arousal == 0.0
    assert baselines.count("kid") == 0


def test_baselines_are_bounded() -> None:
    baselines = SpeakerBaselines(max_speakers=2)
    cues = extract_cues(tone(200))
    for speaker in ("a", "b", "c"):
        baselines.score(speaker, cues)
    assert baselines.count("a") == 0
    assert baselines.count("c") == 1


CALM = [
    "we played with the blocks after lunch",
    "my sister has a red coat",
    "then we walked home with grandpa",
    "the cat was sleeping on the chair",
    "I drew a picture of a tree",
]


def test_a_high_voice_is_not_an_excited_voice(speak: Speak) -> None:
    """Calm speech scores calm against its own baseline, whatever the speaker's pitch."""
    probe = "I built a tower with my blocks"
    for pitch in (15, 85):
        baselines = SpeakerBaselines()
        for text in CALM:
            baselines.score("kid", extract_cues(speak(text, pitch=pitch)))
        arousal, _ = baselines.score("kid", extract_cues(speak(probe, pitch=pitch)), update=False)
        assert 0.25 < arousal < 0.75, pitch


def test_arousal_is_relative_to_the_speakers_own_baseline(speak: Speak) -> None:
    low, high = SpeakerBaselines(), SpeakerBaselines()
    for text in CALM:
        low.score("kid", extract_cues(speak(text, pitch=15)))
        high.score("kid", extract_cues(speak(text, pitch=85)))
    clip = extract_cues(speak("I built a tower with my blocks", pitch=85))
    for_low, z = low.score("kid", clip, update=False)
    for_high, _ = high.score("kid", clip, update=False)
    assert for_low > for_high + 0.2
    assert z["pitch_mean_st"] > 2.0


def test_excited_speech_raises_arousal(speak: Speak) -> None:
    baselines = SpeakerBaselines()
    for text in CALM:
        baselines.score("kid", extract_cues(speak(text, pitch=50)))
    text = "look I found a frog in the garden"
    calm, _ = baselines.score("kid", extract_cues(speak(text, pitch=50)), update=False)
    excited_clip = speak(text, pitch=75, speed=210, amplitude=180)
    excited, _ = baselines.score("kid", extract_cues(excited_clip), update=False)
    assert excited > calm + 0.2
    assert excited > 0.7
