"""Barge-in decisions on the offline duplex room (``duplex_sim.py``): the child's voice over the
bear stops it fast; the bear's own echo (-12/-6 dB, reverberant) and a quiet TV never do."""

from __future__ import annotations

import numpy as np
import pytest

from daemon.hearing.bargein import BargeInSuspected, OnsetGuard
from daemon.hearing.endpointing import Endpointer
from daemon.hearing.frames import AudioFrame
from daemon.hearing.vad.energy import EnergyVad
from tests.daemon.hearing.duplex_sim import FADE, STOP_DRAIN, Room, run_duplex
from tests.daemon.hearing.speech import espeak, load, voiced_bounds
from tests.daemon.hearing.test_endpointing import LevelVad

RATE = 16_000
STORY = (
    "Once upon a time there was a little dragon who lived in a cave on a tall green hill. "
    "Every morning he flew over the village and waved at the children. "
    "One day a girl called Mia waved back and asked him to come down for tea. "
    "The dragon was shy, but he landed very softly in the meadow."
)
CHILD_AT_S = 4.3


def _norm(audio: np.ndarray, peak: float = 0.3) -> np.ndarray:
    return (audio * (peak / np.max(np.abs(audio)))).astype(np.float32)


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    tmp = tmp_path_factory.mktemp("duplex")
    return {
        "bear": _norm(load(espeak(STORY, tmp / "bear.wav"))),
        "child": _norm(
            load(espeak("Stop teddy, stop! I want to ask something else.", tmp / "c.wav"))
        ),
    }


@pytest.fixture(scope="module")
def tv() -> np.ndarray:
    from pathlib import Path

    audio = load(Path(__file__).parents[2] / "data" / "speech_real" / "jfk.wav")
    return (audio * np.float32(10 ** (-30 / 20))).astype(np.float32)  # ~ -47 dBFS speech


@pytest.mark.parametrize(("echo_db", "seed"), [(-12.0, 1), (-6.0, 2)])
def test_the_child_talking_over_the_bear_stops_it_within_300_ms(
    voices: dict[str, np.ndarray], echo_db: float, seed: int
) -> None:
    run = run_duplex(
        voices["bear"],
        Room(echo_db=echo_db, seed=seed),
        child=voices["child"],
        child_at_s=CHILD_AT_S,
    )
    onset = CHILD_AT_S + voiced_bounds(voices["child"])[0]
    first = run.utterances[0]
    assert 0.0 < first.started_at - 5000.0 - onset <= 0.2  # the guard let it through ...
    assert run.stopped_at is not None and run.stopped_at - onset <= 0.3  # ... the bear is silent
    # ... and the stop is confirmed once the onset is as long as an utterance (min_speech_ms)
    assert len(run.barge_ins) == 1
    assert 0.25 <= run.barge_ins[0] - (first.started_at - 5000.0) <= 0.25 + 0.04
    assert first.audio_started_at - 5000.0 <= onset < first.started_at - 5000.0  # in its pre-roll


def test_the_bear_pauses_at_the_first_hit_and_stays_silent_when_it_is_a_barge_in(
    voices: dict[str, np.ndarray],
) -> None:
    run = run_duplex(
        voices["bear"], Room(echo_db=-12.0, seed=1), child=voices["child"], child_at_s=CHILD_AT_S
    )
    (suspected, first), (confirmed, then) = run.events
    assert (suspected, confirmed) == ("BargeInSuspected", "BargeIn") and then - first > 0.03
    # silent a window earlier than a stop at the barge-in itself could make it
    assert (
        run.stopped_at is not None and run.stopped_at <= first + (STOP_DRAIN + FADE) / RATE + 1e-6
    )


# moments where the "St" is heard as a loud unvoiced hiss (elsewhere Silero calls it voiced, or
# the bear's residual is loud there, and the pause waits for the first hit)
@pytest.mark.parametrize("child_at_s", [5.0, 6.0])
def test_the_hiss_of_stop_pauses_the_bear_before_the_vowel_is_voiced(
    voices: dict[str, np.ndarray], child_at_s: float
) -> None:
    run = run_duplex(
        voices["bear"], Room(echo_db=-12.0, seed=1), child=voices["child"], child_at_s=child_at_s
    )
    onset = child_at_s + voiced_bounds(voices["child"])[0]
    (suspected, paused_at), (confirmed, _) = run.events
    assert (suspected, confirmed) == ("BargeInSuspected", "BargeIn")
    assert run.utterances[0].started_at - 5000.0 - paused_at > 0.05  # before the first hit
    # the "St" pauses it; waiting for the voiced "o" made it 0.25 s here
    assert run.stopped_at is not None and run.stopped_at - onset <= 0.2


def test_an_unvoiced_stir_pauses_but_only_voiced_hits_stop() -> None:
    guard = OnsetGuard(lambda t, d: 0.0, hits=2, span=4)
    room = np.full(512, 0.001, np.float32)  # -60 dBFS
    hiss = np.full(512, 0.012, np.float32)  # -38 dBFS: over stir_dbfs, under min_dbfs
    vowel = np.full(512, 0.06, np.float32)  # -24 dBFS
    for i in range(40):
        assert guard.feed(room, i * 0.032, voiced=False) is None and not guard.suspecting
    assert guard.feed(hiss, 1.268, voiced=True) is None and not guard.suspecting  # echo-like
    assert guard.feed(hiss, 1.3, voiced=False) is None
    assert guard.suspicion(False, 1.332, True) == [BargeInSuspected(1.332)]
    assert guard.feed(hiss, 1.332, voiced=True) is None  # voiced, but too quiet for a hit
    assert guard.feed(vowel, 1.364, voiced=True) is None and guard.suspecting
    assert guard.feed(vowel, 1.396, voiced=True) == 1.364  # the barge-in starts at the vowel


def test_a_murmur_at_the_hiss_level_is_no_stir() -> None:
    guard = OnsetGuard(lambda t, d: 0.0, hits=2, span=4)
    syllable = np.full(512, 0.012, np.float32)  # a TV's loud hisses, -38 dBFS ...
    gap = np.full(512, 0.004, np.float32)  # ... and the quieter parts between, -48 dBFS
    stirs = 0
    for i in range(200):
        was = guard.suspecting
        guard.feed(syllable if i % 3 == 0 else gap, i * 0.032, voiced=False)
        stirs += bool(guard.suspicion(was, i * 0.032, True)) and not was
    assert stirs == 0
    guard.feed(np.full(512, 0.001, np.float32), 7.0, voiced=False)
    assert not guard.suspecting


def test_a_loud_residual_echo_does_not_hide_the_hiss_of_stop() -> None:
    # a first story: the canceller has not converged, ~-37 dBFS of the bear's voice is left, and
    # it expects as much; the room itself is quiet, so the child's "St" is a rise
    echo = 10 ** (-37 / 10)
    guard = OnsetGuard(lambda t, d: echo, hits=2, span=4)
    residual = np.full(512, echo**0.5, np.float32)
    for i in range(40):
        assert guard.feed(residual, i * 0.032, voiced=i % 2 == 0) is None
    assert not guard.suspecting
    assert guard.background < 0.1 * echo  # the room's level is the room's, not the echo's
    hiss = np.full(512, 0.05, np.float32)  # -26 dBFS: 11 dB over the expected echo
    assert guard.feed(hiss, 1.3, voiced=False) is None and guard.suspecting


def test_a_lone_hit_pauses_the_bear_briefly_and_it_says_the_whole_story(
    voices: dict[str, np.ndarray],
) -> None:
    # 25 ms of the child's vowel inside one VAD window: one hit, which cannot add up
    start = round((voiced_bounds(voices["child"])[0] + 0.15) * RATE)
    burst = voices["child"][start : start + 400]
    run = run_duplex(
        voices["bear"],
        Room(echo_db=-12.0, seed=1),
        child=burst,
        child_at_s=(131 * 512 + 100) / RATE,
    )
    assert [name for name, _ in run.events] == ["BargeInSuspected", "BargeInDismissed"]
    assert run.barge_ins == [] and run.stopped_at is None and run.utterances == []
    gap = run.events[1][1] - run.events[0][1]
    assert run.ended_at is not None
    assert 0 < run.ended_at - voices["bear"].size / RATE <= gap + (STOP_DRAIN + FADE) / RATE


@pytest.mark.parametrize(("echo_db", "seed"), [(-12.0, 1), (-12.0, 2), (-6.0, 3), (-6.0, 4)])
def test_the_bears_own_echo_never_barges_in(
    voices: dict[str, np.ndarray], echo_db: float, seed: int
) -> None:
    run = run_duplex(voices["bear"], Room(echo_db=echo_db, seed=seed, rt60_s=0.4))
    assert run.barge_ins == []
    assert run.utterances == []


@pytest.mark.parametrize("echo_db", [-12.0, -6.0])
def test_a_quiet_tv_does_not_barge_in(
    voices: dict[str, np.ndarray], tv: np.ndarray, echo_db: float
) -> None:
    run = run_duplex(voices["bear"], Room(echo_db=echo_db, seed=5), tv=tv, tv_db=0.0)
    assert run.barge_ins == []


def test_half_duplex_ignores_the_child_while_the_bear_speaks(voices: dict[str, np.ndarray]) -> None:
    run = run_duplex(
        voices["bear"],
        Room(echo_db=-12.0, seed=1),
        child=voices["child"],
        child_at_s=CHILD_AT_S,
        endpointer=Endpointer(duplex=False),
    )
    assert run.barge_ins == [] and run.stopped_at is None


def test_the_guard_suspects_at_the_first_hit_and_dismisses_hits_that_do_not_add_up() -> None:
    guard = OnsetGuard(lambda t, d: 0.0, hits=2, span=3, min_dbfs=-40)
    loud, quiet = np.full(512, 0.1, np.float32), np.zeros(512, np.float32)

    def step(window: np.ndarray, t: float, bear: bool = True) -> list[str]:
        was = guard.suspecting
        if guard.feed(window, t, voiced=True) is not None:
            return ["BargeIn"]
        return [type(e).__name__ for e in guard.suspicion(was, t, bear)]

    assert step(loud, 0.0) == ["BargeInSuspected"]
    assert step(quiet, 0.032) == [] and step(quiet, 0.064) == []  # still within the span
    assert step(quiet, 0.096) == ["BargeInDismissed"] and guard.rejected == 1
    assert step(loud, 1.0) == ["BargeInSuspected"] and step(loud, 1.032) == ["BargeIn"]
    assert not guard.suspecting  # a barge-in ends the suspicion: nothing to dismiss
    assert step(loud, 2.0, bear=False) == []  # the echo tail: the bear is not speaking to pause
    assert step(quiet, 2.1, bear=False) == [] and step(quiet, 2.2, bear=False) == []
    assert step(quiet, 2.3, bear=False) == ["BargeInDismissed"]  # harmless: nothing paused


def test_the_guard_wants_enough_loud_voiced_windows_above_the_expected_echo() -> None:
    levels = {"echo": 1e-4}
    guard = OnsetGuard(lambda t, d: levels["echo"], hits=3, span=5, margin_db=9.0, min_dbfs=-50)
    loud = np.full(512, 0.05, dtype=np.float32)  # -26 dBFS: 14 dB over the echo
    quiet = np.full(512, 0.012, dtype=np.float32)  # -38 dBFS: under the bar
    assert guard.feed(loud, 1.0, voiced=True) is None
    assert guard.feed(quiet, 1.032, voiced=True) is None  # a quiet consonant in between
    assert guard.feed(loud, 1.064, voiced=False) is None  # loud, but the VAD says no voice
    assert guard.feed(loud, 1.096, voiced=True) is None
    assert guard.feed(loud, 1.128, voiced=True) == 1.0  # 3 hits in 5 windows: since 1.0
    levels["echo"] = 1e-2  # the bear is loud now: the same voice is only its echo
    assert all(guard.feed(loud, 2.0 + i * 0.032, voiced=True) is None for i in range(8))


def test_a_duplex_endpointer_ends_the_childs_turn_when_the_bear_starts() -> None:
    endpointer = Endpointer(EnergyVad(), duplex=True, min_speech_ms=100)
    t, rng = 0.0, np.random.default_rng(0)
    for i in range(40):  # 0.64 s of quiet, then 0.64 s of loud "speech"
        level = 0.001 if i < 20 else 0.2
        endpointer.process(AudioFrame(t, (rng.standard_normal(512) * level).astype(np.float32)))
        t += 0.032
    assert endpointer.in_speech
    events = endpointer.set_bear_speaking(True)  # a queued reply starts while the child talks
    assert [type(e).__name__ for e in events] == ["SpeechEnded"]  # kept, not dropped
    assert not endpointer.in_speech


def _feed(endpointer: Endpointer, windows: list[float], t0: float = 0.0) -> list[str]:
    """Windows of 512 samples at the given amplitude; the names of the events they bring."""
    names = []
    for i, level in enumerate(windows):
        frame = AudioFrame(t0 + i * 0.032, np.full(512, level, np.float32))
        names += [type(e).__name__ for e in endpointer.process(frame)]
    return names


def test_a_short_burst_over_the_bear_pauses_it_but_is_dismissed_not_a_stop() -> None:
    # what failed a fresh-machine run once: the bear's echo, uncancelled for a moment, passed the
    # guard as two loud voiced windows; the onset was 0.12 s long and the story was lost
    guard = OnsetGuard(lambda t, d: 0.0, hits=2, span=4, min_dbfs=-40)
    endpointer = Endpointer(LevelVad(), duplex=True, onset_guard=guard, min_speech_ms=250)
    endpointer.set_bear_speaking(True)
    quiet, loud = 0.0, 0.3
    burst = _feed(endpointer, [quiet] * 10 + [loud] * 4 + [quiet] * 20)
    assert burst == ["BargeInSuspected", "SpeechStarted", "UtteranceDropped", "BargeInDismissed"]
    # the child's "Stop!" (a stir, then 0.35 s of voice) is confirmed as it reaches 0.25 s
    stop = _feed(endpointer, [quiet] * 10 + [loud] * 11 + [quiet] * 20, t0=2.0)
    assert [n for n in stop if n != "SpeechPaused"] == [
        *("BargeInSuspected", "SpeechStarted", "BargeIn", "SpeechEnded")
    ]


def test_with_one_hit_the_bear_still_pauses_before_the_stop_is_confirmed() -> None:
    guard = OnsetGuard(lambda t, d: 0.0, hits=1, span=1, min_dbfs=-40)
    endpointer = Endpointer(LevelVad(), duplex=True, onset_guard=guard, min_speech_ms=250)
    endpointer.set_bear_speaking(True)
    events = _feed(endpointer, [0.0] * 10 + [0.3] * 11)
    assert events == ["BargeInSuspected", "SpeechStarted", "BargeIn"]


def test_a_pending_barge_in_ends_with_the_bears_reply_and_the_child_goes_on() -> None:
    guard = OnsetGuard(lambda t, d: 0.0, hits=2, span=4, min_dbfs=-40)
    endpointer = Endpointer(LevelVad(), duplex=True, onset_guard=guard, min_speech_ms=250)
    endpointer.set_bear_speaking(True)
    assert _feed(endpointer, [0.0] * 10 + [0.3] * 3) == ["BargeInSuspected", "SpeechStarted"]
    assert endpointer.set_bear_speaking(False) == []  # the reply ended meanwhile
    after = _feed(endpointer, [0.3] * 10 + [0.0] * 20, t0=0.416)
    assert [n for n in after if n != "SpeechPaused"] == ["SpeechEnded"]  # nothing to stop
