"""Speech-to-text on a real ``wyoming-faster-whisper`` (unix socket in a temp folder): the
transcript, the local fallback when the server dies mid-utterance, degraded state, recovery."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from processors.audio.samples import Float32Array, as_float32
from processors.stt import wyoming as stt_wyoming
from processors.stt.backends import check_remote_options
from processors.stt.errors import UtteranceRejected
from processors.stt.stage import Transcriber
from processors.stt.wyoming import compression_ratio
from processors.wyoming_link import Backoff
from tests.wyoming_servers import WyomingServer

SPEECH = Path(__file__).parents[2] / "data" / "speech_real" / "arctic_slt_a0009.wav"
WORDS = {"turned", "sharply", "faced", "across", "table"}


def _speech() -> Float32Array:
    data, rate = sf.read(SPEECH, dtype="float32")
    return as_float32(data, rate)


def _words(text: str) -> set[str]:
    return {w.strip(".,?!").lower() for w in text.split()}


# -- without a server ------------------------------------------------------------------------------


def test_compression_ratio_is_high_for_a_loop_and_low_for_a_sentence() -> None:
    assert compression_ratio("no " * 40) > 2.4
    assert compression_ratio("Can we play with my red ball in the garden?") < 2.4
    assert compression_ratio("") == 0.0


def test_backoff_doubles_to_its_cap_and_success_resets_it() -> None:
    now = [0.0]
    backoff = Backoff(first_s=1.0, max_s=4.0, clock=lambda: now[0])
    waits = []
    for _ in range(4):
        backoff.failed("refused")
        waits.append(backoff.wait_s())
    assert waits == [1.0, 2.0, 4.0, 4.0]
    assert not backoff.ready()
    now[0] = 4.0
    assert backoff.ready()
    backoff.succeeded()
    assert (backoff.failures, backoff.reason, backoff.wait_s()) == (0, None, 0.0)


def test_a_missing_uri_is_refused_and_tuned_score_thresholds_are_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(ValueError, match=r"stt\.uri"):
        Transcriber(backend="wyoming", speculative=False)
    with caplog.at_level(logging.WARNING):
        check_remote_options("tcp://127.0.0.1:1", 0.6, -1.0)
        assert not caplog.records  # the defaults: nothing to say
        check_remote_options("tcp://127.0.0.1:1", 0.8, -1.0)
    assert "stt.no_speech_threshold = 0.8" in caplog.text


# -- against the real server -----------------------------------------------------------------------


@pytest.fixture
def transcriber(wyoming_stt: WyomingServer) -> Iterator[Transcriber]:
    stage = Transcriber(backend="wyoming", uri=wyoming_stt.uri, speculative=False)
    stage.load_sync()
    yield stage
    stage.close()


@pytest.mark.slow
def test_the_server_transcribes_and_the_guards_still_run(transcriber: Transcriber) -> None:
    result = transcriber.transcribe_array(_speech())
    assert result.backend == "wyoming"
    assert len(WORDS & _words(result.text)) >= 4, result.text
    (segment,) = result.segments
    assert segment["no_speech_prob"] == 0.0 and segment["compression_ratio"] < 2.4
    (link,) = transcriber.links()
    assert link.state() == ("ok", None)
    # the local VAD gate rejects silence before anything is sent
    exchanges = link.exchanges
    with pytest.raises(UtteranceRejected):
        transcriber.transcribe_array(np.zeros(16_000 * 2, np.float32))
    assert link.exchanges == exchanges


@pytest.mark.slow
def test_server_killed_mid_utterance_local_answers_then_the_server_is_back(
    transcriber: Transcriber,
    wyoming_stt: WyomingServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wyoming.client import AsyncUnixClient

    (link,) = transcriber.links()
    link.backoff.first_s = 0.0  # retry at once: recovery is the next utterance, not a wait
    original = AsyncUnixClient.write_event
    sent: list[str] = []

    async def write_then_kill(self: Any, event: Any) -> None:
        sent.append(event.type)
        if event.type == "audio-chunk" and sent.count("audio-chunk") == 5:
            wyoming_stt.stop()  # the server dies while the child's audio is streaming in
        await original(self, event)

    monkeypatch.setattr(AsyncUnixClient, "write_event", write_then_kill)
    try:
        result = transcriber.transcribe_array(_speech())
        assert result.backend == "faster-whisper (wyoming fallback)"
        assert len(WORDS & _words(result.text)) >= 4, result.text
        state, reason = link.state()
        assert state == "degraded" and reason and "stt" in reason, reason
        assert link.fallbacks == 1
        monkeypatch.setattr(AsyncUnixClient, "write_event", original)
        # still down: the next one falls back too
        assert transcriber.transcribe_array(_speech()).backend.endswith("(wyoming fallback)")
    finally:
        wyoming_stt.start()
    result = transcriber.transcribe_array(_speech())
    assert result.backend == "wyoming"
    assert link.state() == ("ok", None)


@pytest.fixture
def silent_server(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts but never answers: a server genuinely slower than any timeout
    (a bound of a millisecond raced the real server, and the server sometimes won)."""
    path = tmp_path / "silent.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        held: list[socket.socket] = []
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.setblocking(False)
            held.append(conn)  # kept open, never written to
        for conn in held:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"unix://{path}"
    stop.set()
    thread.join()
    listener.close()


@pytest.mark.slow
@pytest.mark.timeout(120)  # the bug this guards against was a hang, not a failure
def test_a_server_slower_than_the_timeout_counts_as_down(
    silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stt_wyoming, "TIMEOUT_PER_AUDIO_S", 0.0)
    stage = Transcriber(backend="wyoming", uri=silent_server, speculative=False)
    stage.load_sync()
    try:
        (link,) = stage.links()
        link.timeout_s = 0.3
        started = time.monotonic()
        result = stage.transcribe_array(_speech())
        waited = time.monotonic() - started
    finally:
        stage.close()
    assert result.backend == "faster-whisper (wyoming fallback)"
    assert len(WORDS & _words(result.text)) >= 4, result.text
    assert link.state()[0] == "degraded"
    assert "TimeoutError" in (link.state()[1] or "")
    assert waited >= 0.3  # it did wait for the server, then gave up
