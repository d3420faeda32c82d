"""``python -m tests.reliability.launcher run ...``: the real ``teddy`` with a stand-in
transcriber, so fault tests can run hundreds of interactions on a 2-core machine.

The stand-in names each utterance by its tone (see :func:`tone`): utterance *k* is a sine at
``base_hz + k * step_hz``, and its transcript is ``"question number k"``. Everything else — the
journal, endpointing (energy VAD), emotion, the reply over HTTP to the local Messages-API
server, alerts, history, signals — is the daemon's own code.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

RATE = 16_000
BASE_HZ = 300.0
STEP_HZ = 25.0


def tone(k: int, seconds: float = 0.6, amplitude: float = 0.3) -> npt.NDArray[np.float32]:
    """Utterance ``k``: a sine with 20 ms fades (no clicks for the VAD to trip on)."""
    t = np.arange(int(seconds * RATE)) / RATE
    wave = amplitude * np.sin(2 * np.pi * (BASE_HZ + k * STEP_HZ) * t)
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
    return (wave * fade).astype(np.float32)


def tone_index(audio: npt.NDArray[np.float32]) -> int:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    peak_hz = float(np.argmax(spectrum)) * RATE / audio.size
    return max(0, round((peak_hz - BASE_HZ) / STEP_HZ))


def write_tones(folder: Path, ks: list[int]) -> Path:
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    for n, k in enumerate(ks):
        sf.write(str(folder / f"{n:05d}-q{k}.wav"), tone(k), RATE, subtype="PCM_16")
    return folder


class ToneTranscriber:
    """Loads nothing; answers "question number k" for the tone of utterance k."""

    async def load(self) -> None:
        return None

    def speculate(self, audio: Any) -> bool:
        return False  # no early decoding: there is nothing to gain on a tone

    def links(self) -> list[Any]:
        return []  # a local engine: no Wyoming server to watch

    def close(self) -> None:
        return None  # no speculation thread to stop

    async def __call__(self, task: Any) -> Any:
        from processors.audio.samples import as_float32
        from processors.results import Transcription

        started = time.monotonic()
        audio = as_float32(task.payload["audio_data"], int(task.payload.get("sample_rate", RATE)))
        return Transcription(
            text=f"question number {tone_index(audio)}",
            language="en",
            duration_s=audio.size / RATE,
            processing_s=time.monotonic() - started,
            backend="tone",
            speech_ratio=1.0,
        )


def main() -> int:
    import processors.stt.stage as stage

    stage.Transcriber.from_config = classmethod(  # type: ignore[method-assign,assignment]
        lambda cls, *args, **kwargs: ToneTranscriber()
    )
    from daemon.cli import main as teddy

    return teddy(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
