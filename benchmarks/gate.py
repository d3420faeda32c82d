"""What the parental listening gate adds to hearing: endpointing through ``gated_events`` (with the
gate listening, and in quiet hours where every utterance is screened and refused) against plain
``endpointing.listen``, on the same replayed speech, with the Silero VAD.

Data: the three espeak-ng test sentences of ``tests/daemon/hearing/speech.py`` repeated
``--repeat`` times (default 4; ~40 s of audio), replayed with ``--fast``. Prints CPU seconds per
run and the ratios to the plain listener measured in the same process (best of ``--runs``).

    .venv/bin/python benchmarks/gate.py [--repeat 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.config.family import ParentalConfig
from daemon.hearing import ReplaySource
from daemon.hearing.endpointing import Endpointer, Event, listen
from daemon.hearing.gate import ListeningGate, gated_events
from tests.daemon.hearing.speech import sentences_with_pauses, write


async def said(kind: str, text: str) -> None:
    return None


def gate(quiet: list[str]) -> ListeningGate:
    clock = lambda: dt.datetime(2026, 12, 4, 21, 0, tzinfo=dt.UTC)  # noqa: E731
    return ListeningGate(ParentalConfig(quiet_hours=quiet), clock=clock, say=said)


async def run(wav: Path, mode: str) -> tuple[float, int]:
    source, endpointer = ReplaySource(wav, fast=True, lead_s=0.0), Endpointer()
    events: AsyncIterator[Event]
    g = None if mode == "plain" else gate(["19:30-07:00"] if mode == "quiet" else [])
    events = listen(source, endpointer) if g is None else gated_events(source, endpointer, g)
    cpu, passed = time.process_time(), 0
    async for event in events:
        if g is None or g.screen(event):
            passed += 1
    spent = time.process_time() - cpu
    if g is not None:
        await g.aclose()
    return spent, passed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        speech = sentences_with_pauses(Path(tmp))
        wav = write(Path(tmp) / "speech.wav", np.tile(speech.audio, args.repeat))
        seconds = speech.audio.size * args.repeat / 16_000
        best: dict[str, float] = {}
        events: dict[str, int] = {}
        for _ in range(args.runs):
            for mode in ("plain", "listening", "quiet"):
                spent, passed = await run(wav, mode)
                best[mode] = min(best.get(mode, float("inf")), spent)
                events[mode] = passed
    print(f"{seconds:.0f} s of replayed espeak-ng speech, Silero VAD, best of {args.runs}")
    for mode in ("plain", "listening", "quiet"):
        ratio = best[mode] / best["plain"]
        print(f"{mode:>9}: {best[mode]:.3f} s CPU, {events[mode]} events passed, x{ratio:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
