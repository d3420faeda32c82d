"""The fixed recordings of the semantic end-of-turn tests (tests/data/turnend/*.flac).

Rendered once with espeak-ng (its default voice, 150 wpm) and committed, so the tests never
depend on the synthesizer's version: 0.5 s of silence, the speech (trimmed to its voiced part,
with a gap of silence cut in mid-sentence where given), 1.2 s of silence. Regenerate with
``.venv/bin/python -m tests.daemon.hearing.turn_fixtures``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tests.daemon.hearing.speech import RATE, espeak, load, voiced_bounds, write

FOLDER = Path(__file__).resolve().parents[2] / "data" / "turnend"
# name -> (speech before the gap, gap in seconds, speech after it)
FIXTURES: dict[str, tuple[str, float, str]] = {
    # a finished question: semantic end-of-turn ends it after ~220 ms
    "complete": ("Can you tell me a story about a dragon?", 0.0, ""),
    # 320 ms mid-sentence: longer than early_silence_ms, shorter than silence_ms
    "paused_article": ("We played with the", 0.32, "puppy all day."),
    # 550 ms mid-sentence: the plain 400 ms endpointer cuts the child off here
    "paused_conjunction": ("Yesterday I went to the park and", 0.55, "I fell off the swing."),
}


def path(name: str) -> Path:
    return FOLDER / f"{name}.flac"


def audio(name: str) -> npt.NDArray[np.float32]:
    return load(path(name))


def render(tmp: Path, text: str) -> npt.NDArray[np.float32]:
    speech = load(espeak(text, tmp / "say.wav"))
    start, end = voiced_bounds(speech)
    return speech[round(start * RATE) : round(end * RATE)]


def build() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (first, gap, second) in FIXTURES.items():
            parts = [np.zeros(RATE // 2, np.float32), render(Path(tmp), first)]
            if second:
                parts += [np.zeros(round(gap * RATE), np.float32), render(Path(tmp), second)]
            parts.append(np.zeros(round(1.2 * RATE), np.float32))
            target = path(name)
            write(target.with_suffix(".wav"), np.concatenate(parts))
            # FLAC: the same 16-bit samples, a third of the size
            load_and_flac(target.with_suffix(".wav"), target)


def load_and_flac(wav: Path, flac: Path) -> None:
    import soundfile as sf

    data, rate = sf.read(str(wav), dtype="int16")
    sf.write(str(flac), data, rate, subtype="PCM_16", format="FLAC")
    wav.unlink()


if __name__ == "__main__":
    build()
