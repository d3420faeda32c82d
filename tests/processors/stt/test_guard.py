"""The hallucination guard's decisions, on scripted segments and on synthetic non-speech."""

from __future__ import annotations

import numpy as np
import pytest

from processors.stt.errors import UtteranceRejected
from processors.stt.guard import HallucinationGuard, SpeechStats
from processors.stt.types import Transcript
from tests.processors.stt.clips import silence, white_noise
from tests.processors.stt.fakes import segment

SPEECHY = SpeechStats(speech_s=2.0, duration_s=2.5)
guard = HallucinationGuard()


def test_confident_segment_passes() -> None:
    result = guard.filter(Transcript([segment(" I like trains.")]), SPEECHY)
    assert result.text == "I like trains."


def test_whisper_no_speech_rule_rejects() -> None:
    with pytest.raises(UtteranceRejected, match="no_speech_prob"):
        guard.filter(Transcript([segment(" Thank you.", logprob=-1.2, no_speech=0.8)]), SPEECHY)


def test_very_low_logprob_rejects() -> None:
    with pytest.raises(UtteranceRejected, match="log-prob"):
        guard.filter(Transcript([segment(" Blah.", logprob=-2.5)]), SPEECHY)


def test_repetition_loop_rejects() -> None:
    with pytest.raises(UtteranceRejected, match="compression ratio"):
        guard.filter(Transcript([segment(" the the the the", ratio=3.5)]), SPEECHY)


def test_untrusted_segment_is_dropped_and_the_rest_kept() -> None:
    transcript = Transcript([segment(" Hello bear."), segment(" Thanks.", logprob=-2.5)])
    assert guard.filter(transcript, SPEECHY).text == "Hello bear."


def test_known_hallucination_with_little_speech_rejects() -> None:
    stats = SpeechStats(speech_s=0.3, duration_s=3.0)
    with pytest.raises(UtteranceRejected, match="hallucination"):
        guard.filter(Transcript([segment(" Thanks for watching!")]), stats)


def test_empty_transcript_rejects() -> None:
    with pytest.raises(UtteranceRejected, match="no text"):
        guard.filter(Transcript([]), SPEECHY)


def test_silence_is_rejected_before_decoding() -> None:
    with pytest.raises(UtteranceRejected, match="silence"):
        guard.check_audio(silence())


@pytest.mark.parametrize("level", [0.001, 0.05, 0.3])
def test_white_noise_has_no_speech(level: float) -> None:
    with pytest.raises(UtteranceRejected, match="no speech detected"):
        guard.check_audio(np.clip(white_noise(level=level), -1, 1))


def test_punctuation_only_segments_are_no_transcript() -> None:
    # tiny.en on quiet noise with the full window: ". . . . . . ." at a fine log-prob
    dots = Transcript([segment(" .", logprob=-0.34, no_speech=0.5) for _ in range(7)])
    with pytest.raises(UtteranceRejected, match="no words"):
        guard.filter(dots, SPEECHY)
