"""The short encoder window: its size, its silence padding, the loop fallback, the real model."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from processors.stt.backends import FasterWhisperBackend
from processors.stt.errors import UtteranceRejected
from processors.stt.guard import GuardConfig
from processors.stt.stage import Transcriber
from processors.stt.types import Transcript
from processors.stt.wer import wer
from processors.stt.window import (
    FULL_FRAMES,
    EncoderWindow,
    content_frames,
    silence_level,
)
from tests.processors.stt.clips import Clip, silence, white_noise


def padded_features(content: int, seed: int = 0) -> np.ndarray:
    """faster-whisper's encoder input: real frames, then zeros up to 30 s."""
    rng = np.random.default_rng(seed)
    features = np.zeros((1, 80, FULL_FRAMES), np.float32)
    features[..., :content] = rng.uniform(-1.2, 1.0, (1, 80, content)).astype(np.float32)
    return features


def test_window_is_at_least_min_s_and_keeps_a_margin_of_silence() -> None:
    window = EncoderWindow(min_s=10.0, margin_s=5.0)
    assert window.frames_for(300) == 1000
    assert window.frames_for(800) == 1300
    assert window.frames_for(2900) == FULL_FRAMES


def test_bad_window_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="min_s"):
        EncoderWindow(min_s=0)


def test_content_ends_at_the_last_non_zero_frame() -> None:
    assert content_frames(padded_features(321)) == 321
    assert content_frames(np.zeros((1, 80, FULL_FRAMES), np.float32)) == 0


def test_fit_keeps_the_audio_and_pads_with_silence() -> None:
    features = padded_features(300)
    window = EncoderWindow().fit(features)
    assert window.shape == (1, 80, 1000) and window.flags.c_contiguous
    np.testing.assert_array_equal(window[..., :300], features[..., :300])
    assert np.all(window[..., 300:] == silence_level(features[..., :300]))


def test_a_full_30_s_window_is_left_alone() -> None:
    features = padded_features(FULL_FRAMES)
    assert EncoderWindow().fit(features) is features


def test_silence_level_is_what_zero_padded_audio_gives() -> None:
    """The padding equals faster-whisper's own features of the audio followed by zeros."""
    from faster_whisper.feature_extractor import FeatureExtractor

    extract = FeatureExtractor()
    rng = np.random.default_rng(1)
    speechy = (0.1 * rng.standard_normal(16_000 * 2)).astype(np.float32)
    alone = extract(speechy)[..., :-1]
    with_zeros = extract(np.concatenate([speechy, np.zeros(16_000 * 3, np.float32)]))
    tail = with_zeros[:, alone.shape[-1] + 5 : -5]  # clear of the STFT's reach across the edge
    np.testing.assert_allclose(tail, silence_level(alone), atol=1e-6)


class _LoopingModel:
    """Stands in for WhisperModel: loops when given a short window, fine with the full one."""

    def __init__(self) -> None:
        self.window: EncoderWindow | None = None
        self.windows: list[EncoderWindow | None] = []

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[Any, Any]:
        self.windows.append(self.window)
        text, ratio = (" la la la la la", 3.1) if self.window else (" Hello bear.", 1.0)
        segment = SimpleNamespace(
            start=0.0,
            end=1.0,
            text=text,
            avg_logprob=-0.2,
            no_speech_prob=0.01,
            compression_ratio=ratio,
        )
        return [segment], SimpleNamespace(language="en")


def test_a_loop_in_the_short_window_is_decoded_again_with_the_full_one() -> None:
    backend = FasterWhisperBackend.__new__(FasterWhisperBackend)
    backend.encoder_window = EncoderWindow()
    backend.hotwords = ""
    backend._model = model = _LoopingModel()
    backend._lock = threading.Lock()
    transcript: Transcript = backend.transcribe(np.zeros(16_000, np.float32), "en", 5)
    assert transcript.text == "Hello bear."
    assert model.windows == [EncoderWindow(), None]


@pytest.fixture(scope="module")
def open_gate() -> Iterator[Transcriber]:
    """The default stage with the VAD gate open, so every input reaches the decoder."""
    stage = Transcriber(guard=GuardConfig(min_speech_s=0.0, min_speech_ratio=0.0))
    stage.load_sync()
    yield stage


@pytest.fixture(scope="module")
def short_stage() -> Transcriber:
    """The opt-in short window (10 s), as a weak board would configure it."""
    stage = Transcriber(encoder_window_s=10.0)
    stage.load_sync()
    return stage


@pytest.mark.slow
def test_short_window_transcribes_our_own_clips_about_as_well_as_the_full_one(
    fw_stage: Transcriber, short_stage: Transcriber, piper_clips: list[Clip]
) -> None:
    assert fw_stage.encoder_window is None  # the default is the full window (issue 11)
    clips = piper_clips[:10]
    short_wer = wer((c.text, short_stage.transcribe_array(c.audio())["text"]) for c in clips)
    full_wer = wer((c.text, fw_stage.transcribe_array(c.audio())["text"]) for c in clips)
    assert short_wer <= full_wer + 0.02


@pytest.mark.slow
def test_segments_keep_timestamps_inside_the_utterance(
    fw_stage: Transcriber, piper_clips: list[Clip]
) -> None:
    audio = piper_clips[3].audio()
    segments = fw_stage.transcribe_array(audio)["segments"]
    assert segments
    for s in segments:
        assert 0.0 <= s["start"] < s["end"] <= len(audio) / 16_000 + 0.5


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["silence", "quiet noise", "white noise", "short noise", "long noise", "hum"]
)
def test_guard_rejects_non_speech_even_past_the_vad(name: str, open_gate: Transcriber) -> None:
    """With the VAD gate open, the decoder's own signals still refuse non-speech."""
    hum = (0.1 * np.sin(2 * np.pi * 50 * np.arange(48_000) / 16_000)).astype(np.float32)
    audio = {
        "silence": silence() + np.float32(1e-6),
        "quiet noise": white_noise(level=0.003),
        "white noise": white_noise(level=0.1),
        "short noise": white_noise(1.0, level=0.05, seed=5),
        "long noise": white_noise(8.0, level=0.05, seed=7),
        "hum": hum,
    }[name]
    with pytest.raises(UtteranceRejected):
        open_gate.transcribe_array(audio)


def test_the_stage_builds_its_window_from_encoder_window_s() -> None:
    assert Transcriber().encoder_window is None  # the full 30 s: accuracy first (issue 11)
    assert Transcriber(encoder_window_s=10).encoder_window == EncoderWindow(min_s=10.0)
    assert Transcriber(encoder_window_s=0).encoder_window is None
    assert Transcriber(model="base").encoder_window is None
    assert Transcriber(model="base", encoder_window_s=15).encoder_window == EncoderWindow(15.0)
    with pytest.raises(ValueError, match="encoder_window_s"):
        Transcriber(encoder_window_s=-1)


@pytest.mark.slow
def test_the_real_encoder_runs_on_the_short_window(
    short_stage: Transcriber, piper_clips: list[Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Guards the override of WhisperModel.encode: a faster-whisper release that stopped calling
    # it would silently bring back the 30 s encoder (2.6x the latency), not fail.
    backend = short_stage._backend
    assert isinstance(backend, FasterWhisperBackend)
    inner = backend._model.model  # the CTranslate2 model faster-whisper encodes with
    shapes: list[tuple[int, ...]] = []

    class Spy:
        def __getattr__(self, name: str) -> Any:
            return getattr(inner, name)

        def encode(self, features: Any, *args: Any, **kwargs: Any) -> Any:
            shapes.append(tuple(features.shape))
            return inner.encode(features, *args, **kwargs)

    monkeypatch.setattr(backend._model, "model", Spy())
    short_stage.transcribe_array(piper_clips[0].audio())
    assert shapes and all(shape[-1] < FULL_FRAMES for shape in shapes)
