"""Push-to-talk: gpiozero mock pins drive the gate; a release mid-utterance closes it (kept)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest

from daemon.config.family import ParentalConfig
from daemon.hearing import BLOCK, SAMPLE_RATE, AudioFrame
from daemon.hearing.endpointing import Endpointer, Event, SpeechEnded, SpeechStarted
from daemon.hearing.gate import ListeningGate, gated_events
from daemon.hearing.trigger import ButtonUnavailable, GpioButton, KeyButton, open_button
from daemon.ops.gate_check import listening_check
from tests.daemon.hearing.test_endpointing import LevelVad, signal

gpiozero_mock = pytest.importorskip("gpiozero.pins.mock")


@pytest.fixture
def pins() -> Iterator[object]:
    factory = gpiozero_mock.MockFactory()
    yield factory
    factory.close()


def noon() -> dt.datetime:
    return dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def button_gate(factory: object, spec: str = "gpio:17") -> ListeningGate:
    return ListeningGate(
        ParentalConfig(trigger="button", button=spec),
        clock=noon,
        button_opener=lambda s: open_button(s, pin_factory=factory),
    )


def test_the_gate_listens_only_while_the_paw_is_held(pins: object) -> None:
    gate = button_gate(pins)
    pin = pins.pin(17)  # type: ignore[attr-defined]
    assert gate.status()["state"] == "waiting_for_button"
    assert not gate.hears_frames()
    pin.drive_low()  # pressed: the button connects the pin to ground
    assert gate.hears_frames() and gate.status()["state"] == "listening"
    pin.drive_high()
    assert gate.status()["state"] == "waiting_for_button"


async def test_releasing_mid_utterance_closes_it_and_later_speech_is_not_heard(
    pins: object,
) -> None:
    gate = button_gate(pins)
    pin = pins.pin(17)  # type: ignore[attr-defined]
    audio = signal(("q", 0.5), ("s", 2.0), ("q", 1.0), ("s", 1.5), ("q", 1.0))
    release_at, press_again_at = 1.5, 99.0  # released after 1 s of the first 2 s sentence

    class Source:
        async def frames(self) -> AsyncIterator[AudioFrame]:
            for i in range(0, audio.size - BLOCK + 1, BLOCK):
                t = i / SAMPLE_RATE
                if t < release_at or t >= press_again_at:
                    pin.drive_low()
                else:
                    pin.drive_high()
                yield AudioFrame(100.0 + t, audio[i : i + BLOCK])

    endpointer = Endpointer(LevelVad(), silence_ms=400, pause_ms=0)
    events: list[Event] = [e async for e in gated_events(Source(), endpointer, gate)]
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert [type(e) for e in events if not isinstance(e, SpeechEnded)] == [SpeechStarted]
    (only,) = ended
    assert 0.9 <= only.duration_s <= 1.1  # the held part of the sentence, closed on release
    assert only.audio.size >= int(0.9 * SAMPLE_RATE)


def test_an_unusable_button_keeps_the_bear_deaf_and_health_degraded() -> None:
    # no pin factory on this machine: gpiozero finds no GPIO chip
    gate = ListeningGate(ParentalConfig(trigger="button", button="gpio:17"), clock=noon)
    status = gate.status()
    assert status["state"] == "waiting_for_button" and status["button_error"]
    assert "GPIO pin 17" in status["reason"]
    check = listening_check(gate.status)()
    assert check.state == "degraded"


def test_switching_the_trigger_live_opens_and_closes_the_button(pins: object) -> None:
    gate = ListeningGate(
        ParentalConfig(),
        clock=noon,
        button_opener=lambda s: open_button(s, pin_factory=pins),
    )
    assert gate.status()["state"] == "listening" and gate.button is None
    gate.apply(ParentalConfig(trigger="button", button="gpio:22"))
    assert isinstance(gate.button, GpioButton) and gate.button.pin == 22
    assert gate.status()["state"] == "waiting_for_button"
    gate.apply(ParentalConfig(trigger="always"))
    assert gate.button is None and gate.status()["state"] == "listening"


def test_a_key_button_follows_key_events() -> None:
    evdev = pytest.importorskip("evdev")
    # No input device can be opened in CI (no /dev/input, no uinput): the device part is
    # untested here; the press/release logic is fed real evdev event codes.
    with pytest.raises(ButtonUnavailable):
        KeyButton("KEY_SPACE", "/dev/input/event-none")
    with pytest.raises(ButtonUnavailable, match="not a key name"):
        KeyButton("KEY_NOT_A_KEY", "/dev/input/event-none")
    button = object.__new__(KeyButton)
    button.code, button._down = evdev.ecodes.KEY_SPACE, False
    button.feed(evdev.ecodes.EV_KEY, evdev.ecodes.KEY_SPACE, 1)
    assert button.pressed
    button.feed(evdev.ecodes.EV_KEY, evdev.ecodes.KEY_ENTER, 0)  # another key: no change
    assert button.pressed
    button.feed(evdev.ecodes.EV_KEY, evdev.ecodes.KEY_SPACE, 2)  # auto-repeat: still held
    assert button.pressed
    button.feed(evdev.ecodes.EV_KEY, evdev.ecodes.KEY_SPACE, 0)
    assert not button.pressed


def test_speech_is_not_admitted_while_the_button_is_up(pins: object) -> None:
    gate = button_gate(pins)
    assert gate.screen(SpeechStarted(1.0)) is False  # not held: a stray event is not admitted
