"""The STT test data is fixed: Piper renders without randomness, the real set is complete."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.processors.stt.clips import make_clips
from tests.processors.stt.real import REAL_DIR, child_like, real_clips


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_piper_clips_are_the_same_samples_on_every_run(tmp_path: Path) -> None:
    pytest.importorskip("piper")
    sentence = ("Why is the sky blue and not green?",)
    first = make_clips(tmp_path / "a", sentence)[0].path
    second = make_clips(tmp_path / "b", sentence)[0].path
    assert _digest(first) == _digest(second)


def test_the_real_set_is_complete_with_sources_and_licences() -> None:
    clips = real_clips()
    assert len(clips) == 18
    for clip in clips:
        assert clip.path.is_file() and clip.text and clip.source, clip.name
    licences = {p.name for p in (REAL_DIR / "licenses").iterdir()}
    assert {"cmu_arctic.COPYING", "pocketsphinx-5.1.1.LICENSE", "praatio-6.2.2.LICENSE"} <= licences


def test_the_child_like_set_is_repeatable(tmp_path: Path) -> None:
    clip = [c for c in real_clips() if c.name == "praatio_mary"]
    first = child_like(clip, tmp_path / "a")
    if not first:
        pytest.skip("sox is not installed")
    second = child_like(clip, tmp_path / "b")
    assert _digest(first[0].path) == _digest(second[0].path)
