"""espeak-ng backend: the always-there fallback (Debian package ``espeak-ng``), robotic but fast.

Runs the program per sentence; the text goes in on stdin so it can never be read as an option.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import soundfile as sf

from processors.speech.tts.base import Float32Array, TtsError, TtsUnavailable
from processors.speech.tts.rate import SpeakingRate

_TIMEOUT_S = 30.0


class EspeakBackend:
    """Synthesizes with the ``espeak-ng`` program (22.05 kHz)."""

    name = "espeak-ng"

    def __init__(
        self, voice: str = "en-us", rate: SpeakingRate | None = None, pitch: int = 60
    ) -> None:
        self.voice = voice
        self.rate = rate or SpeakingRate()
        self.pitch = pitch  # 0..99; a little above espeak's 50 sounds friendlier
        self._program: str | None = None

    @property
    def sample_rate(self) -> int:
        return 22_050

    def load(self) -> None:
        if self._program is None:
            program = shutil.which("espeak-ng")
            if program is None:
                raise TtsUnavailable(
                    "espeak-ng is not installed (Debian: apt-get install espeak-ng)"
                )
            self._program = program

    def synthesize(self, text: str) -> Float32Array:
        self.load()
        assert self._program is not None
        cmd = [
            self._program,
            "--stdout",
            "--stdin",
            "-v",
            self.voice,
            "-s",
            str(self.rate.espeak_wpm),
            "-p",
            str(self.pitch),
        ]
        try:
            done = subprocess.run(
                cmd, input=text.encode(), capture_output=True, timeout=_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise TtsError(f"espeak-ng took longer than {_TIMEOUT_S:.0f} s") from exc
        if done.returncode != 0 or not done.stdout:
            raise TtsError(
                f"espeak-ng failed ({done.returncode}): {done.stderr.decode(errors='replace')}"
            )
        audio, rate = sf.read(io.BytesIO(done.stdout), dtype="float32", always_2d=True)
        if rate != self.sample_rate:
            raise TtsError(f"espeak-ng produced {rate} Hz audio; expected {self.sample_rate}")
        return np.ascontiguousarray(audio[:, 0], dtype=np.float32)
