"""Emotion fixtures: the text backend (wordllama + VADER) is loaded once per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from processors.emotion.stage import EmotionAnalyzer
from processors.emotion.text import HybridTextEmotion


@pytest.fixture(scope="session")
def text_backend() -> HybridTextEmotion:
    backend = HybridTextEmotion()
    backend.load()
    return backend


@pytest.fixture
def analyzer(text_backend: HybridTextEmotion) -> EmotionAnalyzer:
    """A stage with the shared text backend and fresh (empty) speaker baselines."""
    return EmotionAnalyzer(text_backend=text_backend)


Speak = Callable[..., npt.NDArray[np.float32]]


@pytest.fixture
def speak(tmp_path: Path) -> Speak:
    """Synthesize a sentence with espeak-ng (pitch -p, speed -s, amplitude -a) as 16 kHz float32."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    import soundfile as sf

    from processors.audio.samples import as_float32

    counter = iter(range(1_000_000))

    def synth(
        text: str, pitch: int = 50, speed: int = 150, amplitude: int = 100
    ) -> npt.NDArray[np.float32]:
        wav = tmp_path / f"clip{next(counter)}.wav"
        cmd = [
            "espeak-ng",
            "-p",
            str(pitch),
            "-s",
            str(speed),
            "-a",
            str(amplitude),
            "-w",
            str(wav),
            text,
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=30)
        data, rate = sf.read(wav, dtype="float32")
        return as_float32(data, rate)

    return synth
