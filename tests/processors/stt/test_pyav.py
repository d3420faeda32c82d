"""PyAV loads only when a file needs it (issue 11: ~16 MiB the daemon never used)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.processors.stt.clips import encode_with_pyav

ROOT = Path(__file__).resolve().parents[3]
REAL = ROOT / "tests" / "data" / "speech_real" / "jfk.wav"


def _run(script: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.slow
def test_the_daemons_stt_and_vad_never_load_pyav_and_a_file_still_decodes(
    tmp_path: Path,
) -> None:
    # A fresh interpreter (here another test may have imported PyAV). The transcriber, its
    # hallucination guard (faster-whisper's VAD) and the listener's Silero VAD all run on arrays;
    # an m4a handed to `teddy transcribe` afterwards still decodes, through the real PyAV.
    tone = (0.2 * np.sin(np.arange(16_000) * 2 * np.pi * 220 / 16_000)).astype(np.float32)
    m4a = encode_with_pyav(tone, tmp_path / "tone.m4a", "aac")  # libsndfile cannot read it
    out = _run(
        f"""
        import numpy as np, soundfile as sf, soxr
        from daemon.hearing.vad.silero import SileroVad
        from processors.stt import pyav
        from processors.stt.audio_file import read_audio_file
        from processors.stt.stage import Transcriber

        SileroVad()(np.zeros(512, np.float32))
        stage = Transcriber.from_config({{"model": "tiny.en"}})
        audio, rate = sf.read({str(REAL)!r}, dtype="float32")
        text = stage.transcribe_array(soxr.resample(audio, rate, 16_000).astype(np.float32)).text
        print(int("country" in text.lower()), pyav.loaded())
        decoded = read_audio_file(__import__("pathlib").Path({str(m4a)!r}))
        print(pyav.loaded(), int(0.9 < decoded.size / 16_000 < 1.2))
        """
    )
    assert out == ["1", "False", "True", "1"], out


def test_the_stand_in_imports_pyav_at_first_use() -> None:
    out = _run(
        """
        import sys
        from processors.stt import pyav

        pyav.defer()
        import av  # the stand-in: nothing loaded yet
        print(pyav.loaded(), "av.error" in sys.modules)
        print(av.error.FFmpegError.__name__, pyav.loaded(), sys.modules["av"] is not av)
        pyav.defer()  # a second call leaves the real module alone
        import av.audio.resampler
        print(pyav.loaded())
        """
    )
    assert out == ["False", "False", "FFmpegError", "True", "True", "True"], out
