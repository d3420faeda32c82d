"""The virtual-audio rig itself: a WAV played into the mic reaches PortAudio's default input."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import sounddevice  # noqa: F401  (imported before the rig starts on purpose: PortAudio re-init)

if TYPE_CHECKING:
    from tests.audio_rig import AudioRig

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def _tone(path: Path, seconds: float = 1.0, rate: int = 16000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def test_portaudio_sees_the_rig(audio_rig: AudioRig) -> None:
    import sounddevice as sd

    names = [d["name"] for d in sd.query_devices()]
    assert any("pulse" in n.lower() or n == "default" for n in names), names


def test_tone_played_into_mic_is_recorded_from_mic(audio_rig: AudioRig, tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    _tone(wav)
    out = tmp_path / "mic.wav"
    rec = subprocess.Popen(
        ["parecord", "--device=mic", "--latency-msec=20", "--rate=16000", "--channels=1", str(out)],
        env=audio_rig.env,
    )
    try:
        audio_rig.play_into_mic(wav)
    finally:
        rec.send_signal(2)
        rec.wait(timeout=5)
    import soundfile as sf

    data, _ = sf.read(out)
    assert np.abs(data).max() > 0.2


def test_speaker_monitor_records_what_is_played_to_the_default_sink(
    audio_rig: AudioRig, tmp_path: Path
) -> None:
    wav = tmp_path / "tone.wav"
    _tone(wav)
    with audio_rig.recording(tmp_path / "spk.wav") as rec:
        subprocess.run(["paplay", str(wav)], env=audio_rig.env, check=True, timeout=10)
    import soundfile as sf

    data, _ = sf.read(rec.path)
    assert np.abs(data).max() > 0.2


def test_mic_source_can_be_unloaded_and_reloaded(audio_rig: AudioRig) -> None:
    try:
        audio_rig.unload_mic()
        assert "\tmic\t" not in audio_rig.pactl("list", "short", "sources")
    finally:
        audio_rig.reload_mic()
    assert "\tmic\t" in audio_rig.pactl("list", "short", "sources")
    assert audio_rig.pactl("get-default-source").strip() == "mic"
