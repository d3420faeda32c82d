"""Audio inside one encoder window is decoded without timestamp tokens; longer audio keeps them.

Chosen on the tuning clips and then judged (benchmarks/stt.py, docs/architecture.md,
"Timestamps"): without them tiny.en's WER fell on every set, the real recordings included.
Longer audio (a file given to ``teddy transcribe``) keeps them: the decoder moves on from the
last one it wrote; without them it moved on by whole windows and skipped speech.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from processors.audio.samples import TARGET_RATE
from processors.stt.stage import Transcriber
from processors.stt.wer import wer
from processors.stt.window import FULL_S
from tests.processors.stt.fakes import recording_faster_whisper, recording_openai_whisper
from tests.processors.stt.real import real_clip

ONE_WINDOW = round(FULL_S * TARGET_RATE)


@pytest.mark.parametrize("make", [recording_faster_whisper, recording_openai_whisper])
@pytest.mark.parametrize(
    ("samples", "without"), [(TARGET_RATE, True), (ONE_WINDOW, True), (ONE_WINDOW + 1, False)]
)
def test_only_audio_longer_than_one_window_is_decoded_with_timestamps(
    make: Any, samples: int, without: bool
) -> None:
    backend, model = make("Teddy.")
    backend.transcribe(np.zeros(samples, np.float32), "en", 5)
    assert [o["without_timestamps"] for o in model.options] == [without]


def test_the_second_decode_of_a_loop_follows_the_same_rule() -> None:
    backend, model = recording_faster_whisper("")
    backend.redecode(np.zeros(TARGET_RATE, np.float32), "en", 5)
    backend.redecode(np.zeros(ONE_WINDOW + 1, np.float32), "en", 5)
    assert [o["without_timestamps"] for o in model.options] == [True, False]


@pytest.mark.slow
def test_a_real_utterance_comes_back_as_one_segment(fw_stage: Transcriber) -> None:
    clip = real_clip("arctic_slt_a0009")
    audio = clip.audio()
    transcript = fw_stage.load_sync().transcribe(audio, "en", 5)
    assert len(transcript.segments) == 1
    assert transcript.segments[0].start == 0.0
    assert wer([(clip.text, transcript.text)]) <= 0.2, transcript.text


@pytest.mark.slow
def test_a_recording_longer_than_a_window_is_cut_between_words(fw_stage: Transcriber) -> None:
    """Five real recordings, 36 s: with timestamps the decoder ends its first pass at a
    timestamp it wrote (between words), not at exactly 30 s, and every clip's words survive
    (forced off, the first window ended after the first clip and 19 s were lost: WER 0.61)."""
    names = ("jfk", "ps_librivox_0870", "ps_librivox_0920", "ps_librivox_0890", "arctic_awb_a0007")
    clips = [real_clip(n) for n in names]
    gap = np.zeros(TARGET_RATE // 2, np.float32)
    audio = np.concatenate([part for c in clips for part in (c.audio(), gap)])
    assert len(audio) > ONE_WINDOW
    transcript = fw_stage.load_sync().transcribe(audio, "en", 5)
    assert len(transcript.segments) > 1
    assert all(abs(s.end - FULL_S) > 0.01 for s in transcript.segments), transcript.segments
    said = " ".join(c.text for c in clips)
    assert wer([(said, transcript.text)]) <= 0.2, transcript.text
