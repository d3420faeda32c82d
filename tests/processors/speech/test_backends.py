"""The real TTS backends (hibari, Piper, espeak-ng): audio out, rates, offline voice policy."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import numpy as np
import pytest

from processors.speech.tts.base import TtsUnavailable
from processors.speech.tts.chain import TtsChain, create_backend, fallback_order
from processors.speech.tts.espeak import EspeakBackend
from processors.speech.tts.hibari import HibariBackend
from processors.speech.tts.rate import SpeakingRate


def voiced_seconds(audio: np.ndarray, rate: int) -> float:
    win = rate // 50
    n = audio.size // win
    rms = np.sqrt(np.mean(audio[: n * win].reshape(n, win) ** 2, axis=1))
    return float(np.sum(rms > 0.01) * win / rate)


def test_espeak_speaks_at_its_rate() -> None:
    backend = EspeakBackend()
    audio = backend.synthesize("Hello little friend.")
    assert audio.dtype == np.float32 and backend.sample_rate == 22_050
    assert voiced_seconds(audio, backend.sample_rate) > 0.5


def test_espeak_reads_a_leading_dash_as_text_not_an_option() -> None:
    audio = EspeakBackend().synthesize("-v is not an option here")
    assert voiced_seconds(audio, 22_050) > 0.5


def test_slower_rate_gives_longer_speech() -> None:
    fast = EspeakBackend(rate=SpeakingRate(1.2)).synthesize("One two three four five six.")
    slow = EspeakBackend(rate=SpeakingRate(0.7)).synthesize("One two three four five six.")
    assert slow.size > fast.size * 1.3


def test_hibari_heart_voice_works_offline() -> None:
    backend = HibariBackend()
    audio = backend.synthesize("Hello little friend.")
    assert backend.sample_rate == 24_000 and audio.dtype == np.float32
    assert voiced_seconds(audio, 24_000) > 0.5


def test_hibari_refuses_a_voice_that_would_download(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_network(*args: object, **kw: object) -> None:
        raise AssertionError("hibari tried to download a voice")

    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))  # an empty voice cache
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(TtsUnavailable, match=r"not bundled.*only 'heart' works offline"):
        HibariBackend(voice="emma").load()


def test_hibari_unknown_voice_is_named() -> None:
    with pytest.raises(TtsUnavailable, match=r"no voice 'robot'.*heart"):
        HibariBackend(voice="robot").load()


@pytest.mark.slow
def test_piper_joe_voice_speaks_slower_for_children() -> None:
    pytest.importorskip("piper")
    child = create_backend("piper", SpeakingRate())
    adult = create_backend("piper", SpeakingRate(1.0))
    text = "Shall we read a story together?"
    slow, normal = child.synthesize(text), adult.synthesize(text)
    assert child.sample_rate == 22_050
    assert slow.size / normal.size == pytest.approx(1 / 0.85, rel=0.1)


def test_fallback_order_puts_the_configured_backend_first() -> None:
    assert fallback_order("hibari") == ["hibari", "piper", "espeak-ng"]
    assert fallback_order("espeak-ng") == ["espeak-ng", "hibari", "piper"]


def test_unknown_backend_is_rejected_clearly() -> None:
    with pytest.raises(ValueError, match="'festival' is not one of hibari, piper, espeak-ng"):
        create_backend("festival")


def test_chain_without_fallback_reports_why_nothing_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    chain = TtsChain.from_config("espeak-ng", fallback=False)
    with pytest.raises(TtsUnavailable, match="espeak-ng is not installed"):
        chain.load()


def test_chain_falls_back_to_espeak_when_hibari_voice_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))
    chain = TtsChain([lambda: HibariBackend(voice="fable"), EspeakBackend])
    assert chain.load() == "espeak-ng"
    assert chain.synthesize("Hi there.").backend == "espeak-ng"
    assert "fable" in chain.failures["hibari"]
