"""Synthesized test speech (espeak-ng) and its true speech boundaries, computed from the WAV."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from processors.audio.samples import as_float32

RATE = 16_000
SENTENCES = (
    "Hello teddy, can we play a game?",
    "I saw a big red fire truck today.",
    "Tell me a story about a dragon please.",
)


@dataclass(frozen=True)
class Speech:
    audio: npt.NDArray[np.float32]  # 16 kHz mono
    segments: list[tuple[float, float]]  # true (start, end) of each sentence, seconds from [0]


def espeak(text: str, path: Path) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True, timeout=30)
    return path


def load(path: Path) -> npt.NDArray[np.float32]:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return as_float32(data, int(rate))


def voiced_bounds(audio: npt.NDArray[np.float32], floor_db: float = -45.0) -> tuple[float, float]:
    """First and last 5 ms window above ``floor_db`` dBFS: the true speech boundaries."""
    win = RATE // 200
    n = audio.size // win
    rms = np.sqrt(np.mean(audio[: n * win].reshape(n, win) ** 2, axis=1))
    loud = np.flatnonzero(20 * np.log10(np.maximum(rms, 1e-9)) > floor_db)
    if loud.size == 0:
        raise ValueError("no speech in the audio")
    return loud[0] * win / RATE, (loud[-1] + 1) * win / RATE


def sentences_with_pauses(
    tmp: Path, sentences: tuple[str, ...] = SENTENCES, pause_s: float = 1.5, lead_s: float = 1.0
) -> Speech:
    """One 16 kHz WAV: lead silence, then the sentences separated by ``pause_s`` of silence."""
    parts: list[npt.NDArray[np.float32]] = [np.zeros(int(lead_s * RATE), np.float32)]
    segments = []
    position = parts[0].size
    for i, text in enumerate(sentences):
        audio = load(espeak(text, tmp / f"s{i}.wav"))
        start, end = voiced_bounds(audio)
        segments.append((position / RATE + start, position / RATE + end))
        pause = np.zeros(int(pause_s * RATE), np.float32)
        parts += [audio, pause]
        position += audio.size + pause.size
    return Speech(np.concatenate(parts), segments)


def write(path: Path, audio: npt.NDArray[np.float32], rate: int = RATE) -> Path:
    sf.write(str(path), audio, rate, subtype="PCM_16")
    return path
