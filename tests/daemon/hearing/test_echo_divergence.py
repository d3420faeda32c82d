"""The echo canceller on a microphone that never hears the speaker (a speakerphone with its own
echo canceller, a headset, the PulseAudio rig of the parental tests), or stops hearing it: there
is no echo to cancel, so it must hand the microphone on as it came, neither adding the bear's
voice (the rig: ERLE -30 dB, the bear paused itself six times in one line) nor claiming to
cancel any."""

from __future__ import annotations

import numpy as np

from daemon.hearing.echo import EchoCanceller, PlaybackReference
from daemon.hearing.frames import AudioFrame
from tests.daemon.hearing.duplex_sim import T0, erle_db, room_response

RATE = 16_000
WINDOW = RATE // 2  # the output's loudness is compared with the microphone's over 0.5 s ...
MARGIN_DB = 1.0  # ... and may exceed it by this much at most


def _without_echo(line: np.ndarray, mic: np.ndarray) -> tuple[np.ndarray, EchoCanceller]:
    """``line`` played (its silence too, as the kept output line does), ``mic`` heard: nothing
    of ``line`` in it. Returns the canceller's output (the microphone's first samples) and it."""
    ref = PlaybackReference()
    canceller = EchoCanceller(ref)
    out, fed = [], 0
    for start in range(0, mic.size - 511, 512):
        while fed < min(line.size, start + 1472):  # the player runs 60 ms ahead
            ref.played(line[fed : fed + 320], RATE, T0 + fed / RATE)
            fed += 320
        out.append(canceller.process(AudioFrame(T0 + start / RATE, mic[start : start + 512])))
    return np.concatenate([frame.samples for frame in out]), canceller


def _loudest_gain_db(mic: np.ndarray, out: np.ndarray) -> float:
    """The output's energy over the microphone's, in dB, in the worst 0.5 s (every 16 ms)."""
    mic_sums = np.convolve(mic[: out.size].astype(np.float64) ** 2, np.ones(WINDOW), "valid")
    out_sums = np.convolve(out.astype(np.float64) ** 2, np.ones(WINDOW), "valid")
    return float(np.max(10 * np.log10(out_sums[::256] / mic_sums[::256])))


def _claims_nothing(canceller: EchoCanceller) -> None:
    """Its measurements say what happened: nothing cancelled (within 1 dB) and nothing added."""
    stats = canceller.stats
    measured = [stats.erle_db, stats.total_erle_db, *stats.start_erle_db]
    assert all(erle is None or abs(erle) <= MARGIN_DB for erle in measured), measured
    assert stats.solves == 0 and stats.uncancelled_blocks == 0


def _claims_nothing_since(canceller: EchoCanceller) -> None:
    """The filter learnt while the echo was heard is gone: the second reply starts on nothing."""
    stats = canceller.stats
    measured = [stats.erle_db, stats.start_erle_db[-1]]
    assert all(erle is None or abs(erle) <= MARGIN_DB for erle in measured), measured
    assert stats.dropped >= 1


def _kept(out: np.ndarray, child: np.ndarray, at: int) -> float:
    """How much the output from ``at`` on is the child's voice (1: all of it)."""
    part = out[at : at + child.size]
    return float(np.dot(part, child) / np.sqrt(np.sum(child**2) * np.sum(part**2)))


def _noise(size: int, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(size) * 10 ** (-60 / 20)  # -60 dBFS
    return noise.astype(np.float32)


def test_a_microphone_that_hears_only_its_noise_is_passed_through(bear: np.ndarray) -> None:
    # before: the first 0.5 s came out 6.4 dB louder than the microphone (the filter took the
    # noise for an echo of the reply's quiet first block; that start's ERLE -6.1 dB, then -1.3)
    mic = _noise(bear.size + RATE, seed=11)
    out, canceller = _without_echo(bear, mic)
    assert _loudest_gain_db(mic, out) <= MARGIN_DB
    _claims_nothing(canceller)


def test_a_child_heard_without_the_bears_echo_teaches_the_filter_nothing(
    bear: np.ndarray, child: np.ndarray
) -> None:
    # two replies on the kept line, the child speaking over the first: before, the filter
    # learnt the child's voice as the bear's echo and added it back (23 dB over the microphone
    # after the child stopped; the child kept 0.77), and the next reply began on that filter at
    # -16.5 dB ERLE (the rig's -30 dB)
    first, second = bear[: 6 * RATE], bear[6 * RATE :]
    pause = np.zeros(3 * RATE // 2, np.float32)
    line = np.concatenate([first, pause, second])
    mic = _noise(line.size + RATE, seed=12)
    at = 3 * RATE // 2
    mic[at : at + child.size] += child
    out, canceller = _without_echo(line, mic)
    assert _loudest_gain_db(mic, out) <= MARGIN_DB
    _claims_nothing(canceller)
    assert _kept(out, child, at) >= 0.99  # the child's voice comes through as it was heard


def test_a_microphone_that_stops_hearing_the_speaker_gets_no_echo_added(
    bear: np.ndarray, child: np.ndarray
) -> None:
    # a learnt room (-6 dB echo), then the speaker is no longer heard (a headset plugged in, a
    # speakerphone's own canceller switched on) 7 s into the story; the child speaks at 10 s, a
    # second reply follows the story. Before: the learnt filter added its echo (33 dB over the
    # microphone) and the second reply began at -26 dB ERLE. The filter is dropped a second
    # after the echo went (``Fit.only_adds``): without the per-block rule, +20 dB until then
    line = np.concatenate([bear, np.zeros(RATE, np.float32), bear])
    gone, at = 7 * RATE, 10 * RATE
    mic = _noise(line.size + RATE, seed=13)
    wet = np.convolve(bear[:gone], room_response(2))[:gone] * 10 ** (-6 / 20)
    mic[1440:gone] += wet[: gone - 1440]
    mic[at : at + child.size] += child
    out, canceller = _without_echo(line, mic)
    assert erle_db(mic, out, (3.0, 6.5)) >= 15.0  # the echo was cancelled while it was heard
    assert _loudest_gain_db(mic[gone:], out[gone:]) <= MARGIN_DB
    _claims_nothing_since(canceller)
    assert _kept(out, child, at) >= 0.99
