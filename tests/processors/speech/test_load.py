"""What the speaker does at load, before READY, so the first reply does not pay for it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_load_imports_the_resampler_before_the_first_reply() -> None:
    # A fresh interpreter: in this one another test may have imported these already. The
    # playback thread resamples the echo reference of the first voiced block; importing the
    # resampler there (scipy.signal then) starved the stream in the middle of the bear's first
    # sentence. scipy.signal (with scipy.stats) is not loaded at all: it held ~50 MiB at ready.
    script = textwrap.dedent(
        """
        import asyncio, sys
        from processors.speech.stage import Speaker
        from processors.speech.tts.chain import TtsChain
        from processors.speech.tts.playback import AudioOutput
        from tests.processors.speech.doubles import ToneVoice

        speaker = Speaker(chain=TtsChain([ToneVoice]), output=AudioOutput())
        before = "soxr" in sys.modules
        asyncio.run(speaker.load())
        print(before, "soxr" in sys.modules, "scipy.signal" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "False"], done.stdout
