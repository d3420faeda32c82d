"""Semantic end-of-turn offline: the endpointer on a recording, with the speculative decode's
verdict handed back after a given decode time on the recording's clock (as the listener does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from daemon.hearing import BLOCK, SAMPLE_RATE, AudioFrame
from daemon.hearing.endpointing import Endpointer, Event, SpeechEnded, SpeechPaused
from daemon.hearing.turnend import Turn, judge

Transcribe = Callable[[npt.NDArray[np.float32]], tuple[str, float]]  # -> (text, decode seconds)


@dataclass
class TurnRun:
    events: list[Event] = field(default_factory=list)
    verdicts: list[tuple[str, Turn]] = field(default_factory=list)  # (pause transcript, verdict)

    @property
    def ended(self) -> list[SpeechEnded]:
        return [e for e in self.events if isinstance(e, SpeechEnded)]


def simulate(
    endpointer: Endpointer,
    audio: npt.NDArray[np.float32],
    transcribe: Transcribe,
    *,
    delay: bool = True,
    t0: float = 100.0,
) -> TurnRun:
    """Feed ``audio`` in capture blocks; at each pause transcribe it and pass the verdict to the
    endpointer once the decode would be done (``delay``: its measured time; else at once)."""
    run = TurnRun()
    pending: list[tuple[float, SpeechPaused, Turn]] = []
    for i in range(0, audio.size - BLOCK + 1, BLOCK):
        t = t0 + i / SAMPLE_RATE
        while pending and pending[0][0] <= t:
            _, paused, turn = pending.pop(0)
            run.events += endpointer.hint_turn(paused.ended_at, turn)
        events = endpointer.process(AudioFrame(t, audio[i : i + BLOCK]))
        run.events += events
        for event in events:
            if isinstance(event, SpeechPaused):
                endpointer.expect_turn(event.ended_at)  # as the listener does
                text, seconds = transcribe(event.audio)
                turn = judge(text, event.ended_at - event.started_at)
                run.verdicts.append((text, turn))
                ready = event.t + (seconds if delay else 0.0)
                if not delay:
                    run.events += endpointer.hint_turn(event.ended_at, turn)
                else:
                    pending.append((ready, event, turn))
    run.events += endpointer.flush()
    return run
