"""Playback without PortAudio: a clear error, never a crash."""

from __future__ import annotations

import sys

import pytest

from processors.speech.tts.base import OutputUnavailable
from processors.speech.tts.playback import AudioOutput, output_devices


def test_missing_sounddevice_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import now fails
    with pytest.raises(OutputUnavailable, match="pip install sounddevice"):
        output_devices()
    with pytest.raises(OutputUnavailable):
        AudioOutput().open(16_000)


def test_block_size_outside_the_stop_budget_is_rejected() -> None:
    with pytest.raises(ValueError, match="block_ms 100"):
        AudioOutput(block_ms=100)
