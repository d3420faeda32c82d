"""The audio enhancement stage: high-pass, noise gating, loudness, payload flags."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from processors import ProcessingTask, ProcessingType, create_processor
from processors.audio.samples import BadAudio, Float32Array
from processors.enhancement.stage import create_default, enhance, enhance_array
from tests.processors.stt.fakes import MiniTask

RATE = 16_000


def voice_like(seconds: float = 2.0) -> Float32Array:
    """A 300 Hz tone gated on and off (syllables), the way speech leaves quiet gaps."""
    t = np.arange(int(seconds * RATE)) / RATE
    gate = (np.sin(2 * np.pi * 2 * t) > 0).astype(np.float32)
    return (0.3 * np.sin(2 * np.pi * 300 * t) * gate).astype(np.float32)


def snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    scale = float(np.dot(noisy, clean) / np.dot(clean, clean))
    residual = noisy - scale * clean
    return float(10 * np.log10(np.sum((scale * clean) ** 2) / np.sum(residual**2)))


def test_dc_offset_is_removed() -> None:
    out = enhance_array(
        voice_like() + np.float32(0.2), RATE, noise_reduction=False, normalization=False
    )
    assert abs(float(np.mean(out["audio_data"]))) < 1e-3


def test_noise_reduction_improves_snr() -> None:
    clean = voice_like()
    noisy = clean + np.random.default_rng(1).normal(0, 0.03, clean.size).astype(np.float32)
    out = enhance_array(noisy, RATE, noise_reduction=True, normalization=False)["audio_data"]
    assert snr_db(clean, out) > snr_db(clean, noisy) + 3


def test_normalisation_reaches_target_without_clipping() -> None:
    out = enhance_array(voice_like() * np.float32(0.01), RATE, noise_reduction=False)
    assert out["level_after_dbfs"] == pytest.approx(-20.0, abs=0.5)
    assert float(np.max(np.abs(out["audio_data"]))) < 0.9


def test_payload_flags_are_honoured() -> None:
    task = MiniTask({"audio_data": voice_like(), "noise_reduction": False, "normalization": False})
    assert enhance(task)["applied"] == ["highpass"]


def test_pcm_bytes_at_44100_keep_their_rate() -> None:
    pcm = (np.tile(voice_like(0.5), 3) * 32767).astype("<i2").tobytes()
    out = enhance(MiniTask({"audio_data": pcm, "sample_rate": 44_100}))
    assert out["sample_rate"] == 44_100 and out["audio_data"].dtype == np.float32


def test_digital_silence_stays_silent() -> None:
    out = enhance(MiniTask({"audio_data": np.zeros(RATE, np.float32)}))
    assert not np.any(out["audio_data"])


def test_bad_audio_is_a_clear_error() -> None:
    with pytest.raises(BadAudio, match="NaN"):
        enhance(MiniTask({"audio_data": np.full(100, np.nan, np.float32)}))


def test_stage_is_picklable_for_the_process_pool() -> None:
    assert pickle.loads(pickle.dumps(create_default())) is enhance


@pytest.mark.slow
async def test_runs_in_the_process_pool_as_the_guide_shows() -> None:
    processor = await create_processor(max_workers=2, max_process_workers=1)
    try:
        processor.register_processor(ProcessingType.AUDIO_ENHANCEMENT, enhance)
        pcm = (voice_like() * 32767).astype("<i2").tobytes()
        payload = {"audio_data": pcm, "sample_rate": 44_100, "noise_reduction": True}
        task = ProcessingTask(ProcessingType.AUDIO_ENHANCEMENT, payload, cpu_intensive=True)
        await processor.submit_task(task)
        result = await processor.wait_for_task(task.id, timeout=60)
    finally:
        await processor.shutdown()
    assert result.result["applied"] == ["highpass", "noise_reduction", "normalization"], (
        result.error
    )
