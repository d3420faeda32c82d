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


def test_the_voice_and_the_emotion_stage_work_without_scipy_or_an_arena() -> None:
    # scipy.fft held ~27 MiB at ready (issue 11): hibari picks it whenever it imports, and the
    # pitch tracker used it. Both take numpy's FFT now; a later import of scipy still works.
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        from processors.emotion.audio import yin_pitch
        from processors.emotion.stage import create_default
        from processors.speech.tts.hibari import HibariBackend

        voice = HibariBackend()
        voice.load()
        create_default().load_sync()
        audio = voice.synthesize("Hello there, little one.")
        pitch = yin_pitch(audio[::3].copy())
        import hibari.dsp
        print(hibari.dsp.FFT_BACKEND, any(m.startswith("scipy") for m in sys.modules))
        print(int(np.count_nonzero(pitch) > 20))
        # the voice's session keeps no arena sized by the longest sentence (+40 MiB for good)
        print(voice._tts.sess.get_session_options().enable_cpu_mem_arena)
        import scipy.fft
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["numpy", "False", "1", "False"], done.stdout


def test_scipy_is_hidden_from_the_loading_thread_only() -> None:
    # another thread (the enhancement stage loading beside the voice) still imports scipy.fft
    script = textwrap.dedent(
        """
        import sys, threading
        from processors.speech.tts.hibari import _HideFromThisThread

        finder = _HideFromThisThread({"scipy", "scipy.fft"})
        sys.meta_path.insert(0, finder)
        try:
            import scipy.fft
        except ModuleNotFoundError:
            print("hidden")
        other = threading.Thread(target=lambda: print(__import__("scipy.fft").fft.__name__))
        other.start()
        other.join()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["hidden", "scipy.fft"], done.stdout
