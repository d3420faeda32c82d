"""Speech-to-text on a shared Wyoming server (``stt.backend = "wyoming"``), with the local engine
as the fallback.

One exchange per utterance: Transcribe, AudioStart, AudioChunk..., AudioStop -> Transcript.
Wyoming carries text only: no segments, no no-speech probability, no log-probability. So the
transcript is one segment with neutral scores (those two guard rules cannot apply) and a
compression ratio computed here from the text, as Whisper computes it; the stage's local VAD gate
and repetition guard run as for a local engine, and a looping transcript is decoded once more
locally with repetition blocked. When the server is down, refuses, or is slower than the timeout,
the local engine (loaded at start, so it is ready) answers and the link reports degraded.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from wyoming.asr import Transcribe
from wyoming.asr import Transcript as WireTranscript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncClient

from processors.audio.samples import TARGET_RATE, Float32Array
from processors.stt.backends import Redecoder, SttBackend
from processors.stt.types import Segment, Transcript
from processors.wyoming_link import RemoteUnavailable, WyomingLink, read_until

log = logging.getLogger(__name__)

CHUNK_SAMPLES = 1024  # 64 ms per AudioChunk, as Home Assistant's satellites send
#: a server must answer within this long after the last chunk, plus per second of audio
TIMEOUT_S = 4.0
TIMEOUT_PER_AUDIO_S = 0.25


def compression_ratio(text: str) -> float:
    """Whisper's repetition signal: text bytes over their zlib-compressed size."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def pcm16(audio: Float32Array) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class WyomingSttBackend:
    """A Wyoming ASR server as an :class:`SttBackend` (blocking; call it from a thread)."""

    name = "wyoming"

    def __init__(self, uri: str, timeout_s: float = TIMEOUT_S) -> None:
        self.link = WyomingLink(uri, timeout_s, role="stt")
        self.model_path = Path(uri)

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        """``beam_size`` is the server's own setting (``--beam-size``); it is not on the wire."""
        data = pcm16(audio)
        seconds = len(audio) / TARGET_RATE

        async def exchange(client: AsyncClient) -> WireTranscript:
            await client.write_event(Transcribe(language=language).event())
            await client.write_event(AudioStart(rate=TARGET_RATE, width=2, channels=1).event())
            step = CHUNK_SAMPLES * 2
            for start in range(0, len(data), step):
                chunk = AudioChunk(
                    rate=TARGET_RATE, width=2, channels=1, audio=data[start : start + step]
                )
                await client.write_event(chunk.event())
            await client.write_event(AudioStop().event())
            return WireTranscript.from_event(await read_until(client, WireTranscript.is_type))

        wire = self.link.run(exchange, self.link.timeout_s + TIMEOUT_PER_AUDIO_S * seconds)
        text = wire.text.strip()
        segments = [Segment(0.0, seconds, text, 0.0, 0.0, compression_ratio(text))] if text else []
        return Transcript(segments, wire.language or language or "en")


class RemoteFirst:
    """The Wyoming server first; on :class:`RemoteUnavailable` the local engine answers.

    ``name`` is the engine that produced the calling thread's last transcript ("wyoming" or
    e.g. "faster-whisper (wyoming fallback)"), which the stage records with the transcript.
    """

    def __init__(self, remote: WyomingSttBackend, local: Callable[[], SttBackend]) -> None:
        self.remote = remote
        self.link = remote.link
        self.model_path = remote.model_path
        self._local_factory = local
        self._local: SttBackend | None = None
        self._local_lock = threading.Lock()
        self._used = threading.local()

    @property
    def name(self) -> str:
        return str(getattr(self._used, "name", self.remote.name))

    def local(self) -> SttBackend:
        with self._local_lock:
            if self._local is None:
                self._local = self._local_factory()
            return self._local

    def transcribe(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        try:
            found = self.remote.transcribe(audio, language, beam_size)
        except RemoteUnavailable as exc:
            log.warning("Wyoming STT unavailable, the local engine answers: %s", exc)
            local = self.local()
            self._used.name = f"{local.name} (wyoming fallback)"
            return local.transcribe(audio, language, beam_size)
        self._used.name = self.remote.name
        return found

    def redecode(self, audio: Float32Array, language: str | None, beam_size: int) -> Transcript:
        """A looping transcript is decoded again locally with repetition blocked (the server
        cannot be asked for that); a local engine without that ability decodes plainly."""
        local = self.local()
        self._used.name = f"{local.name} (loop re-decode)"
        if isinstance(local, Redecoder):
            return local.redecode(audio, language, beam_size)
        return local.transcribe(audio, language, beam_size)


def remote_first(uri: str, local: Callable[[], SttBackend]) -> RemoteFirst:
    """The server at ``uri`` first, ``local()`` as its fallback, loaded now so that it is ready
    the moment the server fails."""
    backend = RemoteFirst(WyomingSttBackend(uri), local)
    backend.local()
    return backend
