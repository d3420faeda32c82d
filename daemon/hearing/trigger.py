"""The paw button for push-to-talk: a GPIO pin (gpiozero) or a keyboard/HID key (evdev).

``open_button("gpio:17")`` → a :class:`GpioButton` on BCM pin 17 (wired to ground, internal
pull-up); ``open_button("key:KEY_SPACE@/dev/input/event3")`` → a :class:`KeyButton` reading that
input device (without ``@device``: the first device that has the key). Both only answer
``pressed``; the listening gate polls it once per audio frame (32 ms), which is finer than any
child's press. A button that cannot be opened raises :class:`ButtonUnavailable` with the reason.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any, Protocol

log = logging.getLogger(__name__)


class ButtonUnavailable(RuntimeError):
    """The configured button cannot be used (library missing, no such pin or device)."""


class Button(Protocol):
    @property
    def pressed(self) -> bool: ...

    def close(self) -> None: ...


class GpioButton:
    """A push button between a BCM pin and ground; ``pin_factory`` lets tests use mock pins."""

    def __init__(self, pin: int, pin_factory: Any | None = None) -> None:
        try:
            from gpiozero import Button as GpioZeroButton
        except ImportError as exc:
            raise ButtonUnavailable(
                "gpiozero is not installed (pip install 'teddy[button]')"
            ) from exc
        try:
            with warnings.catch_warnings():  # one warning per factory tried; the error says enough
                warnings.simplefilter("ignore")
                self._button = GpioZeroButton(pin, pull_up=True, pin_factory=pin_factory)
        except Exception as exc:  # gpiozero raises many kinds (no pin factory, pin in use)
            raise ButtonUnavailable(f"GPIO pin {pin}: {type(exc).__name__}: {exc}") from exc
        self.pin = pin

    @property
    def pressed(self) -> bool:
        return bool(self._button.is_pressed)

    def close(self) -> None:
        self._button.close()


class KeyButton:
    """A key of a keyboard or HID device (evdev); a reader thread follows its up/down events."""

    def __init__(self, key: str, device: str | None = None) -> None:
        try:
            import evdev
        except ImportError as exc:
            raise ButtonUnavailable(
                "python-evdev is not installed (pip install evdev, or evdev-binary on x86_64)"
            ) from exc
        code = evdev.ecodes.ecodes.get(key)
        if not isinstance(code, int):
            raise ButtonUnavailable(f"{key} is not a key name evdev knows (e.g. KEY_SPACE)")
        self.key, self.code = key, code
        self._down = False
        self._stop = threading.Event()
        self._device = _open_device(evdev, code, device)
        self._thread = threading.Thread(target=self._read, name="teddy-key-button", daemon=True)
        self._thread.start()

    @property
    def pressed(self) -> bool:
        return self._down

    def feed(self, event_type: int, code: int, value: int) -> None:
        """One input event (the reader thread calls this): 1 = down, 2 = repeat, 0 = up."""
        if event_type == 1 and code == self.code:  # EV_KEY
            self._down = value != 0

    def _read(self) -> None:
        try:
            for event in self._device.read_loop():
                if self._stop.is_set():
                    return
                self.feed(event.type, event.code, event.value)
        except OSError as exc:
            if not self._stop.is_set():
                log.error("push-to-talk key %s: the input device failed (%s)", self.key, exc)
        finally:
            self._down = False  # a lost device must not leave the bear listening

    def close(self) -> None:
        self._stop.set()
        try:
            self._device.close()
        except OSError:
            pass


def _open_device(evdev: Any, code: int, path: str | None) -> Any:
    try:
        if path is not None:
            return evdev.InputDevice(path)
        for candidate in evdev.list_devices():
            device = evdev.InputDevice(candidate)
            if code in device.capabilities().get(evdev.ecodes.EV_KEY, []):
                return device
            device.close()
    except OSError as exc:
        raise ButtonUnavailable(f"input device {path or '(any)'}: {exc}") from exc
    raise ButtonUnavailable("no input device has that key (is the user in the 'input' group?)")


def open_button(spec: str, *, pin_factory: Any | None = None) -> Button:
    """``gpio:<BCM pin>`` or ``key:KEY_<NAME>[@/dev/input/eventN]`` (validated by the config)."""
    kind, _, rest = spec.partition(":")
    if kind == "gpio":
        return GpioButton(int(rest), pin_factory=pin_factory)
    if kind == "key":
        key, _, device = rest.partition("@")
        return KeyButton(key, device or None)
    raise ButtonUnavailable(f"{spec!r}: write gpio:<BCM pin> or key:KEY_<NAME>[@/dev/input/eventN]")
