"""Text preparation, loudness normalisation and the child speaking rate."""

from __future__ import annotations

import numpy as np
import pytest

from processors.speech.tts.loudness import active_level_dbfs, normalize
from processors.speech.tts.rate import SpeakingRate
from processors.speech.tts.text import clean_for_speech, speakable_sentences, split_sentences
from tests.processors.speech.doubles import tone


def test_split_sentences_at_end_punctuation_and_lines() -> None:
    text = 'Hello there! Do you like dragons? I do. "Really?" Yes.\nNew line'
    assert split_sentences(text) == [
        "Hello there!",
        "Do you like dragons?",
        "I do.",
        '"Really?"',
        "Yes.",
        "New line",
    ]


def test_clean_for_speech_drops_markup_links_and_emoji() -> None:
    assert clean_for_speech("**Look** at https://x.y/z 🐻✨ _now_!") == "Look at now !"
    assert clean_for_speech("🎉🎉") == ""


def test_speakable_sentences_cleans_before_splitting() -> None:
    assert speakable_sentences("**Wow!** 🐻 Let's play.\n\n- Yes") == ["Wow!", "Let's play.", "Yes"]


def test_normalize_brings_speech_to_the_target_level() -> None:
    quiet = tone(1.0) * 0.05  # about -33 dBFS RMS
    out = normalize(quiet, 16_000, target_dbfs=-20.0)
    assert active_level_dbfs(out, 16_000) == pytest.approx(-20.0, abs=0.2)


def test_normalize_ignores_pauses_when_measuring() -> None:
    speech_with_pause = np.concatenate([tone(0.5), np.zeros(16_000, np.float32)])
    out = normalize(speech_with_pause, 16_000, target_dbfs=-20.0)
    assert active_level_dbfs(out[:8000], 16_000) == pytest.approx(-20.0, abs=0.2)


def test_normalize_never_clips() -> None:
    spiky = np.zeros(16_000, np.float32)
    spiky[::400] = 0.5  # low RMS, high peaks
    out = normalize(spiky, 16_000, target_dbfs=-10.0, peak_dbfs=-1.0)
    assert np.max(np.abs(out)) == pytest.approx(10 ** (-1 / 20), rel=1e-3)


def test_normalize_keeps_silence_silent() -> None:
    assert not np.any(normalize(np.zeros(1000, np.float32), 16_000))


def test_child_rate_maps_onto_each_backend() -> None:
    rate = SpeakingRate()
    assert rate.hibari_speed == 0.85
    assert rate.piper_length_scale == pytest.approx(1.5, abs=0.02)
    assert rate.espeak_wpm == 149


def test_speaking_rate_out_of_range_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"0\.85 suits small children"):
        SpeakingRate(3.0)
