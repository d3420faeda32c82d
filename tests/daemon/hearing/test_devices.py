"""Device listing and choice on the rig, and the `teddy devices` command."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

import pytest

from daemon.commands import devices as devices_command
from daemon.hearing import devices

if TYPE_CHECKING:
    from tests.audio_rig import AudioRig

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def test_choose_by_default_index_and_name(audio_rig: AudioRig) -> None:
    default = devices.choose_device(None)
    assert default.max_input_channels > 0
    assert devices.choose_device(default.index) == default
    assert devices.choose_device(str(default.index)) == default
    pulse = devices.choose_device("PULSE")
    assert "pulse" in pulse.name.lower()


def test_unknown_device_names_the_alternatives(audio_rig: AudioRig) -> None:
    with pytest.raises(devices.DeviceNotFound, match=r"available: .*pulse"):
        devices.choose_device("no-such-device")
    with pytest.raises(devices.DeviceNotFound, match="index 9999"):
        devices.choose_device(9999)


def test_devices_command_lists_inputs_and_outputs(
    audio_rig: AudioRig, capsys: pytest.CaptureFixture[str]
) -> None:
    assert devices_command.run(argparse.Namespace(json=True)) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(r["input_channels"] > 0 for r in rows)
    assert any(r["output_channels"] > 0 for r in rows)
    assert {"index", "name", "default_samplerate"} <= set(rows[0])
    assert devices_command.run(argparse.Namespace(json=False)) == 0
    assert "pulse" in capsys.readouterr().out


def test_missing_portaudio_gives_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    import sys

    real_import = builtins.__import__

    def no_portaudio(name: str, *args: object, **kwargs: object) -> object:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(devices.AudioUnavailable, match="libportaudio2"):
        devices.load_sounddevice()
