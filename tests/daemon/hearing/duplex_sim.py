"""An offline full-duplex room: the bear's voice leaks back into the microphone through a seeded
room (delay + reverberant impulse response + gain), the child may talk over it, a TV may murmur.

Runs the real hearing chain — ``PlaybackReference`` fed block by block as playback would,
``EchoCanceller``, the duplex ``Endpointer`` with Silero — frame by frame on a virtual clock. The
bear pauses (the playback fade) at a suspected barge-in, goes on at a dismissed one, and stays
stopped at a confirmed one, as the daemon's speaker does. Deterministic: fixed audio
and seeded noise. Used by the hearing tests and ``benchmarks/barge_in.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.signal import fftconvolve

from daemon.hearing.bargein import BargeIn, BargeInDismissed, BargeInSuspected, OnsetGuard
from daemon.hearing.echo import EchoCanceller, PlaybackReference
from daemon.hearing.endpointing import Endpointer, SpeechEnded
from daemon.hearing.frames import AudioFrame

RATE = 16_000
FRAME = 512
PLAY_BLOCK = 320  # the speaker writes 20 ms blocks ...
PLAY_AHEAD = 960  # ... up to 60 ms before they sound (the output buffer)
FADE = 320  # 20 ms fade-out after a stop
STOP_DRAIN = 960 + 320  # a stop: what is buffered still plays, one block more at worst
T0 = 5000.0  # the virtual clock's origin (monotonic seconds)

Audio = npt.NDArray[np.float32]


def erle_db(mic: Audio, residual: Audio, span_s: tuple[float, float]) -> float:
    """Echo return loss enhancement over ``span_s`` (seconds): microphone / residual power."""
    part = slice(round(span_s[0] * RATE), round(span_s[1] * RATE))
    return float(10 * np.log10(np.mean(mic[part] ** 2) / np.mean(residual[part] ** 2)))


def room_response(seed: int, rt60_s: float = 0.3, length_s: float = 0.15) -> Audio:
    """A direct path plus an exponentially decaying, seeded diffuse tail (unit energy)."""
    rng = np.random.default_rng(seed)
    n = round(length_s * RATE)
    rir = rng.standard_normal(n) * np.exp(-np.arange(n) * 6.9 / (rt60_s * RATE)) * 0.3
    rir[0] = 1.0
    return (rir / np.sqrt(np.sum(rir**2))).astype(np.float32)


@dataclass
class Room:
    echo_db: float = -12.0  # the bear's echo at the microphone, relative to what it plays
    delay_ms: float = 90.0  # output buffer + air + capture: write time -> microphone
    rt60_s: float = 0.3
    seed: int = 7
    noise_dbfs: float = -65.0


@dataclass
class DuplexRun:
    barge_ins: list[float] = field(default_factory=list)  # seconds from the start
    stopped_at: float | None = None  # when the bear's last (faded) sample sounded
    ended_at: float | None = None  # when the bear's voice ended (stopped or said to the end)
    utterances: list[SpeechEnded] = field(default_factory=list)
    erle_db: float | None = None
    mic: Audio = field(default_factory=lambda: np.zeros(0, np.float32))
    rejected_runs: int = 0
    events: list[tuple[str, float]] = field(default_factory=list)  # barge-in events, in order


def run_duplex(
    bear: Audio,
    room: Room,
    *,
    child: Audio | None = None,
    child_at_s: float = 0.0,
    tv: Audio | None = None,
    tv_db: float = -30.0,
    tail_s: float = 2.0,
    endpointer: Endpointer | None = None,
    pause: bool = True,
) -> DuplexRun:
    """Play ``bear`` from t=0 into the room; mix ``child`` from ``child_at_s`` and ``tv``.
    ``pause=False``: the bear does not pause at a suspected barge-in (only stops at one)."""
    total = bear.size + round(tail_s * RATE)
    delay = round(room.delay_ms / 1000 * RATE)
    rir = room_response(room.seed, room.rt60_s) * np.float32(10 ** (room.echo_db / 20))
    rng = np.random.default_rng(room.seed)
    others = rng.standard_normal(total).astype(np.float32) * np.float32(
        10 ** (room.noise_dbfs / 20)
    )
    if child is not None:
        at = round(child_at_s * RATE)
        part = child[: max(0, total - at)]
        others[at : at + part.size] += part
    if tv is not None:
        part = np.resize(tv, total) * np.float32(10 ** (tv_db / 20))
        others += part
    played = bear.copy()
    echo = _echo(played, rir, delay, total)
    reference = PlaybackReference()
    canceller = EchoCanceller(reference)
    endpointer = endpointer or Endpointer(duplex=True, onset_guard=OnsetGuard(canceller.echo_level))
    endpointer.set_bear_speaking(True)
    run = DuplexRun()
    written = paused_at = 0
    speaking = True
    held: Audio | None = None  # the rest of the story while the bear is paused
    for start in range(0, total - FRAME + 1, FRAME):
        while written < min(played.size, start + FRAME + PLAY_AHEAD):  # the player runs ahead
            block = played[written : written + PLAY_BLOCK]
            reference.played(block, RATE, T0 + start / RATE)  # written now, sounds later
            written += block.size
        if speaking and held is None and start >= played.size:
            speaking = False
            run.ended_at = played.size / RATE
            endpointer.set_bear_speaking(False)
        mic = echo[start : start + FRAME] + others[start : start + FRAME]
        frame = canceller.process(AudioFrame(T0 + start / RATE, mic))
        for event in endpointer.process(frame):
            cut = min(played.size, start + FRAME + STOP_DRAIN)  # what is buffered still plays
            if isinstance(event, BargeInSuspected) and pause and speaking and held is None:
                # the bear pauses: a fade, then silence (the line stays fed) until the verdict
                held = played[cut:]
                played = np.concatenate([played[:cut], _ramp(held, down=True), np.zeros(RATE)])
                paused_at = cut + min(FADE, held.size)
            elif isinstance(event, BargeInDismissed) and held is not None:
                played = np.concatenate([played[: max(cut, paused_at)], _ramp(held, down=False)])
                held = None
            elif isinstance(event, BargeIn):
                run.barge_ins.append(event.t - T0)
                if held is not None:  # already silent: it stays so
                    played, held = played[:paused_at], None
                    run.stopped_at = paused_at / RATE
                elif speaking:  # the daemon stops the bear: a fade, then the buffer drains
                    played = np.concatenate([played[:cut], _ramp(played[cut:], down=True)])
                    run.stopped_at = played.size / RATE  # the speaker falls silent
            elif isinstance(event, SpeechEnded):
                run.utterances.append(event)
            if isinstance(event, BargeInSuspected | BargeInDismissed | BargeIn):
                run.events.append((type(event).__name__, event.t - T0))
                echo = _echo(played, rir, delay, total)
    run.erle_db = canceller.stats.total_erle_db
    run.rejected_runs = endpointer.guard.rejected
    run.mic = (echo + others).astype(np.float32)
    return run


def _ramp(audio: Audio, *, down: bool) -> Audio:
    """``down``: the first ``FADE`` samples faded out (a stop or pause); else all of ``audio``
    with its first ``FADE`` samples faded in (a resume)."""
    n = min(FADE, audio.size)
    ramp = np.linspace(1.0, 0.0, n, dtype=np.float32)
    if down:
        return audio[:n] * ramp
    out = audio.copy()
    out[:n] *= ramp[::-1]
    return out


def _echo(played: Audio, rir: Audio, delay: int, total: int) -> Audio:
    wet = fftconvolve(played, rir)[: max(0, total - delay)].astype(np.float32)
    out = np.zeros(total, dtype=np.float32)
    out[delay : delay + wet.size] = wet
    return out
