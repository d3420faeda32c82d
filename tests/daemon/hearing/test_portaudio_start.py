"""PortAudio's start loads every ALSA plugin the configuration names (probing each PCM); teddy's
loader unloads those no stream holds, and a restart (hot-plug re-enumeration) does it again.
Each case runs in a fresh interpreter: PortAudio starts once per process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MAPPED = "sum('/libasound_module_' in line for line in open('/proc/self/maps'))"
COUNT = f"\nprint({MAPPED})\nprint(len(sd.query_devices()) >= 0)"


def _plugins_mapped(code: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", code + COUNT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    count, queried = done.stdout.split()
    assert queried == "True"  # PortAudio still answers after the release
    return int(count)


@pytest.fixture(scope="module")
def plain() -> int:
    loaded = _plugins_mapped("import sounddevice as sd")
    if loaded == 0:
        pytest.skip("this machine's ALSA configuration names no plugin (libasound2-plugins)")
    return loaded


def test_the_loader_unloads_the_plugins_portaudio_probed(plain: int) -> None:
    loaded = _plugins_mapped(
        "from processors.audio import portaudio\nsd = portaudio.import_sounddevice()"
    )
    assert (plain, loaded) == (plain, 0)


def test_a_restart_unloads_them_again(plain: int) -> None:
    loaded = _plugins_mapped(
        "from processors.audio import portaudio\n"
        "sd = portaudio.import_sounddevice()\n"
        "sd._terminate(); sd._initialize()\n"  # as PortAudio re-probes: the plugins are back
        f"assert {MAPPED} > 0\n"
        "portaudio.restart(sd)"
    )
    assert loaded == 0
