"""Text-to-speech on a real ``wyoming-piper`` (unix socket in a temp folder), and a reply's round
trip through both real servers: spoken by wyoming-piper, heard back by wyoming-faster-whisper."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from processors.audio.samples import TARGET_RATE, resample
from processors.speech.tts.base import TtsError, TtsUnavailable
from processors.speech.tts.chain import TtsChain, fallback_order
from processors.speech.tts.wyoming import WyomingTtsBackend
from processors.stt.stage import Transcriber
from tests.wyoming_servers import WyomingServer

REPLY = "It is okay to feel scared of the dark. I am right here with you."


def _rms(audio: Any) -> float:
    return float(np.sqrt(np.mean(np.square(audio)))) if len(audio) else 0.0


def test_wyoming_goes_first_and_the_local_engines_stay_behind_it() -> None:
    assert fallback_order("wyoming") == ["wyoming", "piper", "hibari", "espeak-ng"]
    assert "wyoming" not in fallback_order("hibari")  # no server configured: never tried


def test_a_down_server_does_not_fail_loading_but_fails_the_sentence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = WyomingTtsBackend("unix:///nonexistent/teddy-tts.sock")
    with caplog.at_level(logging.WARNING):
        backend.load()  # it may come up later
    assert "not reachable yet" in caplog.text
    with pytest.raises(TtsError):
        backend.synthesize("Hello.")
    state, reason = backend.link.state()
    assert state == "degraded" and reason and "tts" in reason


@pytest.mark.slow
def test_the_server_speaks_a_sentence(wyoming_tts: WyomingServer) -> None:
    backend = WyomingTtsBackend(wyoming_tts.uri)
    backend.load()
    audio = backend.synthesize("Hello, little friend.")
    assert backend.sample_rate == 22_050
    assert 0.5 < len(audio) / backend.sample_rate < 5.0
    assert audio.dtype == np.float32 and _rms(audio) > 0.01
    assert backend.link.state() == ("ok", None)


@pytest.mark.slow
def test_a_voice_the_server_does_not_offer_is_refused_before_any_synthesis(
    wyoming_tts: WyomingServer,
) -> None:
    backend = WyomingTtsBackend(wyoming_tts.uri, voice="xx_XX-nobody-low")
    with pytest.raises(TtsUnavailable, match="is not offered by"):
        backend.load()
    with pytest.raises(TtsUnavailable, match="is not offered by"):
        backend.synthesize("Hallo.")  # asks Describe again, never Synthesize
    assert backend.link.exchanges == 2


@pytest.mark.slow
def test_server_killed_the_local_voice_speaks_then_the_server_is_back(
    wyoming_tts: WyomingServer,
) -> None:
    chain = TtsChain.from_config("wyoming", uri=wyoming_tts.uri)
    assert chain.load() == "wyoming"
    assert chain.synthesize("Good morning.").backend == "wyoming"
    (link,) = chain.links()
    link.backoff.first_s = 0.0
    wyoming_tts.stop()
    try:
        spoken = chain.synthesize("Good morning.")
        assert spoken.backend == "piper" and _rms(spoken.audio) > 0.01  # the same joe voice
        assert link.state()[0] == "degraded"
    finally:
        wyoming_tts.start()
    assert chain.synthesize("Good morning.").backend == "wyoming"
    assert link.state() == ("ok", None)


@pytest.mark.slow
def test_a_reply_round_trip_through_both_servers(
    wyoming_tts: WyomingServer, wyoming_stt: WyomingServer
) -> None:
    chain = TtsChain.from_config("wyoming", uri=wyoming_tts.uri)
    spoken = chain.synthesize(REPLY)
    assert spoken.backend == "wyoming"
    audio = resample(spoken.audio, spoken.sample_rate, TARGET_RATE)
    stage = Transcriber(backend="wyoming", uri=wyoming_stt.uri, speculative=False)
    try:
        heard = stage.transcribe_array(audio)
    finally:
        stage.close()
    assert heard.backend == "wyoming"
    said = {w.strip(".,").lower() for w in REPLY.split()}
    got = {w.strip(".,").lower() for w in heard.text.split()}
    assert len(said & got) / len(said) >= 0.8, heard.text
