"""The transcription stage around a scripted backend: payloads, bad audio, the result dict."""

from __future__ import annotations

import numpy as np
import pytest

from processors import ProcessingTask, ProcessingType, create_processor
from processors.audio.samples import BadAudio
from processors.stt.guard import GuardConfig
from processors.stt.stage import Transcriber, create_default
from tests.processors.stt.fakes import MiniTask, ScriptedBackend, segment

OPEN_GUARD = GuardConfig(min_speech_s=0.0, min_speech_ratio=0.0)


def tone(seconds: float = 1.0, rate: int = 16_000, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def stage(**kwargs: object) -> tuple[Transcriber, ScriptedBackend]:
    backend = ScriptedBackend(segment(" Hello bear."))
    return Transcriber.with_backend(backend, guard=OPEN_GUARD, **kwargs), backend  # type: ignore[arg-type]


async def test_result_has_the_contract_keys() -> None:
    transcriber, _ = stage()
    result = await transcriber(MiniTask({"audio_data": tone()}))
    assert result["text"] == "Hello bear."
    assert result["segments"][0].keys() >= {
        "start", "end", "text", "avg_logprob", "no_speech_prob", "compression_ratio"
    }  # fmt: skip
    assert result["duration_s"] == pytest.approx(1.0)
    assert {"language", "processing_s", "backend", "model"} <= result.keys()


async def test_pcm16_bytes_at_44100_are_resampled() -> None:
    transcriber, backend = stage()
    pcm = (tone(2.0, 44_100) * 32767).astype("<i2").tobytes()
    await transcriber(MiniTask({"audio_data": pcm, "sample_rate": 44_100, "language": "en"}))
    assert backend.calls == [(32_000, "en", 5)]


async def test_enhanced_audio_of_a_dependency_is_used() -> None:
    transcriber, backend = stage()
    enhanced = {"audio_data": tone(0.5), "sample_rate": 16_000}
    await transcriber(MiniTask({}, {"dep-1": enhanced}))
    assert backend.calls[0][0] == 8_000


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (np.zeros(0, np.float32), "empty"),
        (np.full(16_000, np.nan, np.float32), "NaN"),
        (np.ones(16_000, np.complex64), "dtype"),
        (b"\x00\x01\x02", "odd length"),
        ("not audio", "numpy array or PCM bytes"),
        (np.sign(tone()), "clipped"),
        (tone(61.0), "limit"),
    ],
)
async def test_bad_audio_is_a_clear_error(audio: object, message: str) -> None:
    transcriber, backend = stage()
    with pytest.raises(BadAudio, match=message):
        await transcriber(MiniTask({"audio_data": audio}))
    assert backend.calls == []


async def test_missing_audio_is_a_clear_error() -> None:
    transcriber, _ = stage()
    with pytest.raises(BadAudio, match="no audio_data"):
        await transcriber(MiniTask({}))


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match=r"stt\.backend"):
        Transcriber(backend="whisper.cpp")
    with pytest.raises(ValueError, match="beam_size"):
        Transcriber(beam_size=0)


def test_default_stage_loads_lazily() -> None:
    stage = create_default()
    assert isinstance(stage, Transcriber) and not stage.loaded
    assert (stage.backend_name, stage.model, stage.beam_size) == ("faster-whisper", "tiny.en", 5)


async def test_runs_as_a_registered_processor_with_a_real_task() -> None:
    transcriber, _ = stage()
    processor = await create_processor(max_workers=2)
    try:
        processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, transcriber)
        task = ProcessingTask(ProcessingType.AUDIO_TRANSCRIPTION, {"audio_data": tone()})
        await processor.submit_task(task)
        result = await processor.wait_for_task(task.id, timeout=30)
    finally:
        await processor.shutdown()
    assert result.result["text"] == "Hello bear.", result.error


def test_flat_guard_thresholds_override_the_guard_config() -> None:
    stage = Transcriber(guard=OPEN_GUARD, min_speech_ratio=0.3, logprob_threshold=-0.8)
    config = stage.guard.config
    assert (config.min_speech_ratio, config.logprob_threshold, config.min_speech_s) == (
        0.3,
        -0.8,
        0,
    )
