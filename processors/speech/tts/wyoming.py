"""Text-to-speech on a shared Wyoming server (``tts.backend = "wyoming"``).

One exchange per sentence: Synthesize -> AudioStart, AudioChunk..., AudioStop (wyoming-piper
answers at 22,050 Hz). The TTS chain puts the local engines behind it: a sentence the server
cannot speak (down, refused, slower than the timeout, backing off) is spoken locally, and the
link reports degraded until the server answers again. Loading never fails on a server that is
merely down (it may come up later); it does fail on a voice the server does not offer. Leave
``tts.voice`` unset to use the server's own ``--voice``: wyoming-piper lists its whole catalogue
as installed and tries to download any other voice asked for, blocking its event loop (for every
bear) until the download fails offline. The speaking rate is the server's own setting
(wyoming-piper ``--length-scale``), so ``tts.rate`` cannot apply here.
"""

from __future__ import annotations

import logging

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncClient
from wyoming.tts import Synthesize, SynthesizeVoice

from processors.speech.tts.base import Float32Array, TtsError, TtsUnavailable
from processors.wyoming_link import (
    RemoteUnavailable,
    WyomingLink,
    describe_exchange,
    read_until,
)

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0  # one sentence; wyoming-piper synthesizes under a global lock, so others queue


def _accepted(kind: str) -> bool:
    return AudioStart.is_type(kind) or AudioChunk.is_type(kind) or AudioStop.is_type(kind)


class WyomingTtsBackend:
    """A Wyoming TTS server as a :class:`TtsBackend` (blocking; call it from a thread)."""

    name = "wyoming"

    def __init__(self, uri: str, voice: str | None = None, timeout_s: float = TIMEOUT_S) -> None:
        self.link = WyomingLink(uri, timeout_s, role="tts")
        self.voice = voice or None
        self._rate = 22_050
        self._voice_checked = False

    @property
    def sample_rate(self) -> int:
        return self._rate

    def load(self) -> None:
        """Ask the server what it offers (Describe -> Info); a voice it lacks is TtsUnavailable.
        A server that does not answer is only logged: sentences fall back until it does."""
        try:
            self.check_voice()
        except RemoteUnavailable as exc:
            log.warning("Wyoming TTS server not reachable yet: %s", exc)

    def check_voice(self) -> None:
        """Once per backend, on the first exchange that reaches the server."""
        if self._voice_checked:
            return
        info = self.link.run(describe_exchange)
        voices = {v.name for program in info.tts for v in program.voices}
        if not voices:
            raise TtsUnavailable(f"{self.link.uri} offers no text-to-speech voice")
        if self.voice is not None and self.voice not in voices:
            shown = ", ".join(sorted(voices)[:10]) + (", ..." if len(voices) > 10 else "")
            raise TtsUnavailable(
                f"tts.voice {self.voice!r} is not offered by {self.link.uri} (it has: {shown}); "
                "leave tts.voice unset to use the server's own voice"
            )
        self._voice_checked = True

    def synthesize(self, text: str) -> Float32Array:
        """The sentence's audio as float32 (TtsError when the server cannot speak it)."""
        try:
            self.check_voice()
        except RemoteUnavailable as exc:
            raise TtsError(str(exc)) from exc
        voice = SynthesizeVoice(name=self.voice) if self.voice else None

        async def exchange(client: AsyncClient) -> tuple[int, bytes]:
            await client.write_event(Synthesize(text=text, voice=voice).event())
            rate, width, parts = self._rate, 2, []
            while True:
                event = await read_until(client, _accepted)
                if AudioStart.is_type(event.type):
                    start = AudioStart.from_event(event)
                    rate, width = start.rate, start.width
                elif AudioChunk.is_type(event.type):
                    parts.append(AudioChunk.from_event(event).audio)
                else:
                    if width != 2:
                        raise ValueError(f"the server sent {width}-byte samples, not 16-bit")
                    return rate, b"".join(parts)

        try:
            rate, pcm = self.link.run(exchange)
        except RemoteUnavailable as exc:
            raise TtsError(str(exc)) from exc
        self._rate = rate
        return (np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0).astype(np.float32)
