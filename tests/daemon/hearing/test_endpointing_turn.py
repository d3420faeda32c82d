"""Semantic end-of-turn in the endpointer: the verdict on a pause's transcript sets the wait.

Scripted detector (``LevelVad``) and tones for the state machine; the recorded fixtures with the
real Silero VAD and the real tiny.en decode are in test_turnend_fixtures.py."""

from __future__ import annotations

import numpy as np

from daemon.hearing import BLOCK, SAMPLE_RATE, AudioFrame
from daemon.hearing.endpointing import Endpointer, Event, SpeechEnded, SpeechPaused
from daemon.hearing.turnend import Turn
from tests.daemon.hearing.test_endpointing import LevelVad, signal

T0 = 100.0


def feed(ep: Endpointer, audio: np.ndarray, verdict: Turn | None, at_s: float = 0.0) -> list[Event]:
    """Run ``audio``; at each pause expect a verdict and deliver ``verdict`` ``at_s`` later
    (None: it never comes)."""
    events: list[Event] = []
    due: list[tuple[float, SpeechPaused]] = []
    for i in range(0, audio.size - BLOCK + 1, BLOCK):
        t = T0 + i / SAMPLE_RATE
        while due and due[0][0] <= t and verdict is not None:
            events += ep.hint_turn(due.pop(0)[1].ended_at, verdict)
        for event in ep.process(AudioFrame(t, audio[i : i + BLOCK])):
            events.append(event)
            if isinstance(event, SpeechPaused):
                ep.expect_turn(event.ended_at)
                due.append((event.t + at_s, event))
    return events + ep.flush()


def ends(events: list[Event]) -> list[SpeechEnded]:
    return [e for e in events if isinstance(e, SpeechEnded)]


def endpointer() -> Endpointer:
    return Endpointer(
        LevelVad(), silence_ms=400, pause_ms=180, early_silence_ms=220, unfinished_silence_ms=700
    )


def test_a_complete_transcript_ends_the_turn_after_the_short_silence() -> None:
    (end,) = ends(feed(endpointer(), signal(("q", 0.5), ("s", 1.0), ("q", 1.0)), Turn.COMPLETE))
    assert end.early
    assert 0.2 <= end.t - end.ended_at <= 0.26  # ~early_silence_ms, not silence_ms


def test_a_late_complete_verdict_ends_the_turn_when_it_arrives() -> None:
    # the decode took 0.4 s from the pause (at ~0.18 s): the turn ends then, not at 0.4 s
    (end,) = ends(
        feed(endpointer(), signal(("q", 0.5), ("s", 1.0), ("q", 1.5)), Turn.COMPLETE, 0.4)
    )
    assert 0.55 <= end.t - end.ended_at <= 0.62
    assert not end.early


def test_an_unsure_transcript_waits_the_usual_silence() -> None:
    (end,) = ends(feed(endpointer(), signal(("q", 0.5), ("s", 1.0), ("q", 1.0)), Turn.UNSURE))
    assert not end.early and 0.38 <= end.t - end.ended_at <= 0.44


def test_a_pause_after_an_unfinished_transcript_does_not_end_the_turn() -> None:
    # 550 ms mid-sentence: the plain 400 ms endpointer cuts here, "I want a ..." keeps listening
    audio = signal(("q", 0.5), ("s", 0.8), ("q", 0.55), ("s", 0.8), ("q", 1.5))
    plain = Endpointer(LevelVad(), silence_ms=400, pause_ms=180, unfinished_silence_ms=0)
    assert len(ends(feed(plain, audio, Turn.UNFINISHED))) == 2
    (end,) = ends(feed(endpointer(), audio, Turn.UNFINISHED))
    assert end.duration_s > 2.0  # one utterance: both halves and the pause
    assert 0.68 <= end.t - end.ended_at <= 0.74


def test_the_turn_is_held_while_the_verdict_is_pending_and_ends_at_the_cap() -> None:
    audio = signal(("q", 0.5), ("s", 0.8), ("q", 0.5), ("s", 0.8), ("q", 1.5))
    held = ends(feed(endpointer(), audio, None))  # the decode never answers
    assert len(held) == 1 and 0.68 <= held[0].t - held[0].ended_at <= 0.74


def test_a_verdict_for_a_pause_speech_resumed_from_is_ignored() -> None:
    # pause at 250 ms, the verdict "complete" arrives 0.2 s after the pause: speech is back
    audio = signal(("q", 0.5), ("s", 0.8), ("q", 0.25), ("s", 0.8), ("q", 1.5))
    events = feed(endpointer(), audio, Turn.COMPLETE, at_s=0.2)
    assert len(ends(events)) == 1


def test_early_end_carries_the_paused_audio_bit_for_bit() -> None:
    events = feed(endpointer(), signal(("q", 0.5), ("s", 1.0), ("q", 1.0)), Turn.COMPLETE)
    paused = [e for e in events if isinstance(e, SpeechPaused)]
    np.testing.assert_array_equal(paused[-1].audio, ends(events)[0].audio)  # a speculation hit
