"""Test doubles for the Speaker's edges: a tone "voice" and an output that plays in simulated
real time (waiting on the stop event, as the real writer does between blocks)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from processors.speech.tts.base import Float32Array, OutputUnavailable, TtsError, TtsUnavailable
from processors.speech.tts.playback import PlayResult

RATE = 16_000


def tone(seconds: float, rate: int = RATE, freq: float = 440.0) -> Float32Array:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@dataclass
class ToneVoice:
    """A TtsBackend: each sentence becomes a tone ``seconds_per_char`` long per character."""

    name: str = "tone"
    seconds_per_char: float = 0.004
    fail_load: bool = False
    fail_on: str | None = None  # sentences containing this raise TtsError
    synth_delay_s: float = 0.0
    calls: list[tuple[str, float]] = field(default_factory=list)  # (text, started)

    @property
    def sample_rate(self) -> int:
        return RATE

    def load(self) -> None:
        if self.fail_load:
            raise TtsUnavailable(f"{self.name} cannot load here")

    def synthesize(self, text: str) -> Float32Array:
        self.calls.append((text, time.monotonic()))
        if self.fail_on is not None and self.fail_on in text:
            raise TtsError(f"{self.name} choked on {text!r}")
        if self.synth_delay_s:
            time.sleep(self.synth_delay_s)  # stands for model time
        return tone(len(text) * self.seconds_per_char)


@dataclass
class Played:
    start: float
    end: float
    seconds: float
    interrupted: bool
    held: float = 0.0  # seconds it was paused (a suspected barge-in)


class FakeStream:
    def __init__(self, output: FakeOutput, sample_rate: int) -> None:
        self.output = output
        self.sample_rate = sample_rate
        self.aborted = False

    def play(
        self,
        audio: Float32Array,
        source_rate: int,
        stop: threading.Event,
        stop_requested_at: list[float] | None = None,
        hold: threading.Event | None = None,
    ) -> PlayResult:
        start = time.monotonic()
        duration = audio.size / source_rate
        played = held = 0.0
        while played < duration and not stop.is_set():  # "plays" the clip unless stopped
            step = min(0.005, duration - played)
            stop.wait(step)
            if hold is not None and hold.is_set():
                held += step  # paused: the clip waits where it is
            elif not stop.is_set():
                played += step
        interrupted = stop.is_set()
        end = time.monotonic()
        self.output.played.append(Played(start, end, played, interrupted, held))
        if interrupted:
            self.aborted = True
            return PlayResult(
                played, True, start, end - stop_requested_at[0] if stop_requested_at else None
            )
        return PlayResult(played, False, start)

    def finish(self, stop: threading.Event, stop_requested_at: list[float] | None = None) -> bool:
        return stop.is_set()

    def close(self, drain: bool = False) -> None:
        self.output.closed += 1


@dataclass
class FakeOutput:
    fail_times: int = 0  # the first N opens raise OutputUnavailable
    played: list[Played] = field(default_factory=list)
    opened: int = 0
    closed: int = 0

    def open(self, sample_rate: int) -> FakeStream:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise OutputUnavailable("no output device matches 'usb-bear'")
        self.opened += 1
        return FakeStream(self, sample_rate)

    def describe(self) -> str:
        return "0: fake"
