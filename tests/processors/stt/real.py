"""The judging set: real human recordings shipped in tests/data/speech_real (see its README).

Never tune anything on these. ``child_like`` makes the "child-like" set from them with sox
(``pitch 500 tempo 0.92``: 5 semitones up, 8 % slower; deterministic).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from processors.audio.samples import Float32Array
from processors.stt.audio_file import read_audio_file

REAL_DIR = Path(__file__).resolve().parents[2] / "data" / "speech_real"


@dataclass(frozen=True)
class RealClip:
    name: str
    text: str
    path: Path
    source: str

    def audio(self) -> Float32Array:
        return read_audio_file(self.path)


def real_clips() -> list[RealClip]:
    with open(REAL_DIR / "manifest.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        RealClip(Path(r["file"]).stem, r["transcript"], REAL_DIR / r["file"], r["source"])
        for r in rows
    ]


def real_clip(name: str) -> RealClip:
    return next(c for c in real_clips() if c.name == name)


def child_like(clips: list[RealClip], out_dir: Path) -> list[RealClip]:
    """The same recordings 5 semitones higher and 8 % slower (sox; [] without sox)."""
    sox = shutil.which("sox")
    if sox is None:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    shifted = []
    for clip in clips:
        path = out_dir / clip.path.name
        if not path.exists():
            cmd = [sox, "-R", "-q", str(clip.path), str(path), "pitch", "500", "tempo", "0.92"]
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        shifted.append(RealClip(clip.name, clip.text, path, f"{clip.source} (sox child-like)"))
    return shifted
