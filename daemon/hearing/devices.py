"""PortAudio devices: loading sounddevice with a clear error, listing, choosing, re-initialising.

PortAudio enumerates devices once, at initialisation; a device that appears later (hot-plug, a
PulseAudio server started after us) is only seen after :func:`reinitialize`. Re-initialising is
process-wide: it invalidates every open stream, so it is only done while no stream of ours is open,
and always on :func:`executor`'s thread.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from processors.audio import portaudio, portaudio_guard

PORTAUDIO_HINT = (
    "PortAudio library not found: install the Debian package libportaudio2 "
    "(sudo apt-get install libportaudio2)"
)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    """The one thread that opens, closes and re-initialises PortAudio for capture.

    PortAudio (and the ALSA plugins it dlopens) is not safe against a stream being closed in
    one thread while another re-initialises the library: ld.so aborts the process.
    """
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="portaudio")
        return _executor


class AudioUnavailable(RuntimeError):
    """PortAudio cannot be used at all (library missing)."""


class DeviceNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    default_input: bool = False
    default_output: bool = False


def load_sounddevice() -> ModuleType:
    """Import sounddevice; a missing libportaudio2 becomes one clear AudioUnavailable."""
    try:
        return portaudio.import_sounddevice()
    except OSError as exc:  # "PortAudio library not found"
        raise AudioUnavailable(PORTAUDIO_HINT) from exc


def reinitialize() -> bool:
    """Re-enumerate devices (hot-plug); False if skipped because the bear is speaking.

    It invalidates every open stream, so it waits for playback streams to close (a skipped
    re-enumeration is simply retried on the next capture attempt)."""
    sd = load_sounddevice()
    return portaudio_guard.when_idle(lambda: portaudio.restart(sd))


def list_devices() -> list[Device]:
    sd = load_sounddevice()
    raw: Any = sd.query_devices()
    hostapis: Any = sd.query_hostapis()
    try:
        default_in, default_out = sd.default.device
    except Exception:
        default_in, default_out = -1, -1
    devices = []
    for info in raw:
        index = int(info["index"])
        devices.append(
            Device(
                index=index,
                name=str(info["name"]),
                hostapi=str(hostapis[int(info["hostapi"])]["name"]),
                max_input_channels=int(info["max_input_channels"]),
                max_output_channels=int(info["max_output_channels"]),
                default_samplerate=float(info["default_samplerate"]),
                default_input=index == default_in,
                default_output=index == default_out,
            )
        )
    return devices


def choose_device(spec: int | str | None, *, kind: str = "input") -> Device:
    """Pick a device by index, by case-insensitive name substring, or the default (``None``)."""
    if kind not in ("input", "output"):
        raise ValueError(f"kind must be 'input' or 'output', not {kind!r}")
    devices = list_devices()
    usable = [d for d in devices if _channels(d, kind) > 0]
    if not usable:
        raise DeviceNotFound(f"no {kind} device found (PortAudio sees {len(devices)} devices)")
    if spec is None or (isinstance(spec, str) and spec.strip() in ("", "default")):
        for d in usable:
            if d.default_input if kind == "input" else d.default_output:
                return d
        # No default reported: the ALSA 'default'/'pulse' device, else the first usable one.
        for name in ("default", "pulse"):
            for d in usable:
                if d.name.lower() == name:
                    return d
        return usable[0]
    if isinstance(spec, int) or spec.strip().isdigit():
        index = int(spec)
        for d in usable:
            if d.index == index:
                return d
        raise DeviceNotFound(f"no {kind} device with index {index}; {_names(usable)}")
    needle = spec.strip().lower()
    matches = [d for d in usable if needle in d.name.lower()]
    if not matches:
        raise DeviceNotFound(f"no {kind} device matching {spec!r}; {_names(usable)}")
    exact = [d for d in matches if d.name.lower() == needle]
    return (exact or matches)[0]


def _channels(device: Device, kind: str) -> int:
    return device.max_input_channels if kind == "input" else device.max_output_channels


def _names(devices: list[Device]) -> str:
    return "available: " + ", ".join(f"{d.index}: {d.name}" for d in devices)
