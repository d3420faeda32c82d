"""Barge-in: reaction time (the child's first sound -> the bear silent), ERLE, false barge-ins.

Offline (default, deterministic): the real hearing chain (playback reference, echo canceller,
duplex endpointer with Silero) on ``tests/daemon/hearing/duplex_sim.py``'s seeded rooms: an
8-sentence espeak-ng story as the bear, echo at -12 and -6 dB through a reverberant impulse
response (RT60 0.3 s, 150 ms), the child ("Stop teddy, stop! I want to ask something else.",
espeak-ng) at several moments, and a TV (JFK's speech, tests/data/speech_real/jfk.wav, ~-47 dBFS)
for the false-barge-in runs. The baseline, in the same run, is half duplex: the bear talks on
until its reply ends. The bear pauses at the guard's first stir; the same runs without that
pause (stopping only at the confirmed barge-in) are printed next to it. Judging set: 8 real
human recordings (tests/data/speech_real: CMU Arctic, praatio, pocketsphinx test data) as the
interrupting child, in rooms with seeds nobody tuned on.

With ``--rig N``: the PulseAudio rig (tests/e2e/barge_in_rig.py), the daemon in-process with
espeak-ng as the bear's voice, echo via module-loopback: N barge-in trials and N quiet stories,
timed on a stereo recording of the speaker (left the bear, right the child).

    .venv/bin/python benchmarks/barge_in.py [--trials 6] [--rig 0]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RATE = 16_000
STORY = (
    "Once upon a time there was a little dragon who lived in a cave on a tall green hill. "
    "Every morning he flew over the village and sang a happy song. "
    "One day a girl called Mia waved back and asked him to come down for tea. "
    "The dragon was shy, but he landed very softly in the meadow. "
    "Mia poured the tea into a tiny cup with blue flowers on it. "
    "The dragon sipped it slowly and smiled a big toothy smile. "
    "They talked about clouds and stars until the sun went down. "
    "And from that day on, they met for tea every single week."
)
CHILD = "Stop teddy, stop! I want to ask something else."


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def voice(text: str, path: Path, *args: str) -> np.ndarray:
    from tests.daemon.hearing.speech import load

    subprocess.run(["espeak-ng", *args, "-w", str(path), text], check=True, timeout=60)
    audio = load(path)
    return (audio * (0.3 / np.max(np.abs(audio)))).astype(np.float32)


def offline(trials: int, workdir: Path) -> None:
    from daemon.hearing.endpointing import Endpointer
    from tests.daemon.hearing.duplex_sim import Room, run_duplex
    from tests.daemon.hearing.speech import load, voiced_bounds

    bear = voice(STORY, workdir / "bear.wav", "-s", "150")
    child = voice(CHILD, workdir / "child.wav", "-v", "en-us+f3", "-s", "140")
    tv = load(Path(__file__).parents[1] / "tests/data/speech_real/jfk.wav") * np.float32(0.0316)
    lead = voiced_bounds(child)[0]
    reaction, no_pause, detect, baseline, erle = [], [], [], [], []
    false_runs = false_total = false_pauses = 0
    missed = 0
    for i in range(trials):
        for echo_db in (-12.0, -6.0):
            room = Room(echo_db=echo_db, seed=100 + i)
            at = 3.0 + 1.5 * i  # the child speaks at different points of the story
            onset = at + lead
            run = run_duplex(bear, room, child=child, child_at_s=at)
            if run.stopped_at is None or not run.barge_ins:
                missed += 1
            else:
                reaction.append(run.stopped_at - onset)
                detect.append(run.barge_ins[0] - onset)
            stop_only = run_duplex(bear, room, child=child, child_at_s=at, pause=False)
            if stop_only.stopped_at is not None:
                no_pause.append(stop_only.stopped_at - onset)
            half = run_duplex(bear, room, child=child, child_at_s=at, endpointer=Endpointer())
            assert half.stopped_at is None
            baseline.append(bear.size / RATE - onset)  # half duplex: the bear talks on
            quiet = run_duplex(bear, room)
            noisy = run_duplex(bear, room, tv=tv, tv_db=0.0)
            false_total += 2
            false_runs += bool(quiet.barge_ins) + bool(noisy.barge_ins)
            false_pauses += sum(
                name == "BargeInDismissed" for name, _ in quiet.events + noisy.events
            )
            if quiet.erle_db is not None:
                erle.append(quiet.erle_db)
    n = len(reaction) + missed
    print(f"offline: {n} barge-ins (echo -12 and -6 dB, seeded rooms RT60 0.3 s), espeak-ng voices")
    print(
        f"  reaction (child's first sound -> bear silent, fade included): "
        f"p50 {pct(reaction, 50):.3f} s  p95 {pct(reaction, 95):.3f} s  (target <= 0.3); "
        f"detection p50 {pct(detect, 50):.3f} s; missed {missed}"
    )
    print(
        f"  the same runs, stopping at the barge-in without the pause at its first stir: "
        f"p50 {pct(no_pause, 50):.3f} s  p95 {pct(no_pause, 95):.3f} s; ratio paused/stop-only "
        f"p50 {pct(reaction, 50) / pct(no_pause, 50):.3f}"
    )
    judge, judge_stop = real_children(bear)
    print(
        f"  judging, real voices as the child (8 recordings from tests/data/speech_real, not JFK; "
        f"rooms seeds 20-27, echo -12/-6 dB; never tuned on): p50 {pct(judge, 50):.3f} s  "
        f"p95 {pct(judge, 95):.3f} s  max {max(judge):.3f} s; stopping only at the barge-in: "
        f"p50 {pct(judge_stop, 50):.3f} s  p95 {pct(judge_stop, 95):.3f} s"
    )
    print(
        f"  half-duplex baseline (same runs): the bear talks on for p50 {pct(baseline, 50):.1f} s; "
        f"ratio barge-in/baseline p50 {pct(reaction, 50) / pct(baseline, 50):.3f}"
    )
    print(
        f"  ERLE (steady state, after 3 s of the bear's voice): p50 {pct(erle, 50):.1f} dB  "
        f"min {min(erle):.1f} dB"
    )
    print(
        f"  false barge-ins: {false_runs} of {false_total} full stories "
        f"(echo only, and echo + TV at ~-47 dBFS); false pauses (the bear paused at a stir "
        f"that did not add up, then went on): {false_pauses}"
    )


def real_children(bear: np.ndarray) -> tuple[list[float], list[float]]:
    """Reaction to real human recordings interrupting the bear, with and without the pause."""
    from tests.daemon.hearing.duplex_sim import Room, run_duplex
    from tests.daemon.hearing.speech import load, voiced_bounds

    data = Path(__file__).parents[1] / "tests/data/speech_real"
    voices = [p for p in sorted(data.glob("*.wav")) if p.name != "jfk.wav"][:8]
    paused: list[float] = []
    stopped: list[float] = []
    for k, path in enumerate(voices):
        child = load(path)
        child = (child * (0.3 / np.max(np.abs(child)))).astype(np.float32)
        room = Room(echo_db=-12.0 if k % 2 else -6.0, seed=20 + k)
        at = 3.0 + 0.7 * k
        onset = at + voiced_bounds(child)[0]
        for pause, out in ((True, paused), (False, stopped)):
            run = run_duplex(bear, room, child=child, child_at_s=at, pause=pause)
            if run.stopped_at is not None:
                out.append(run.stopped_at - onset)
    return paused, stopped


async def on_rig(n: int, workdir: Path) -> None:
    from tests.audio_rig import AudioRig
    from tests.e2e.barge_in_rig import ANSWER, CHILD_AFTER_S, BargeInRig
    from tests.e2e.barge_in_rig import STORY as RIG_STORY
    from tests.fake_messages_api import Behaviour

    (workdir / "rig").mkdir()
    rig = AudioRig(workdir=workdir / "rig")
    rig.start_server()
    os.environ["PULSE_SERVER"] = rig.server
    reaction: list[float] = []
    erle: list[float] = []
    delays: list[float] = []
    starts: list[float] = []
    false = paused = 0
    try:
        for echo_db in (-12.0, -6.0):
            harness = BargeInRig(rig, workdir, echo_db=echo_db)
            harness.wire()
            try:
                await harness.start()
                for i in range(n):
                    harness.api.enqueue(Behaviour(reply=RIG_STORY), Behaviour(reply=ANSWER))
                    trial = await harness.story(child_after_s=CHILD_AFTER_S, name=f"b{echo_db}-{i}")
                    if trial.reaction_s is not None:
                        reaction.append(trial.reaction_s)
                    listener = harness.daemon.listener
                    resumed = listener.dismissed
                    quiet = await harness.story(child_after_s=None, name=f"q{echo_db}-{i}")
                    false += quiet.barge_ins
                    paused += listener.dismissed - resumed
                    if quiet.echo and quiet.echo.get("erle_db") is not None:
                        erle.append(float(quiet.echo["erle_db"]))
                if harness.daemon.listener.echo is not None:
                    stats = harness.daemon.listener.echo.stats
                    delays += stats.run_delays_ms
                    starts += stats.start_erle_db
            finally:
                await harness.stop()
                harness.close()
    finally:
        rig.close()
    print(f"rig: {len(reaction)} barge-ins, {2 * n} quiet stories (echo -12 and -6 dB)")
    print(
        f"  reaction (speaker recording): p50 {pct(reaction, 50):.3f} s  "
        f"p95 {pct(reaction, 95):.3f} s  (each: {[round(r, 2) for r in reaction]}; 0.0: the "
        f"child began in a pause between sentences, and the pause held the next one)"
    )
    print(f"  ERLE at the end of quiet stories: {[round(e, 1) for e in erle]} dB")
    spread = max(delays) - min(delays) if delays else float("nan")
    print(
        f"  echo delay per playback run: {len(delays)} runs, spread {spread:.0f} ms "
        f"(p5 {pct(delays, 5):.0f}, p50 {pct(delays, 50):.0f}, p95 {pct(delays, 95):.0f} ms)"
    )
    print(
        f"  ERLE in the first 0.5 s of each reply (a run, or the voice after 1 s of silence): "
        f"p50 {pct(starts, 50):.1f} dB  p5 {pct(starts, 5):.1f} dB  ({len(starts)} starts)"
    )
    print(
        f"  false barge-ins: {false} over {2 * n} quiet stories; false pauses (went on): {paused}"
    )
    print(f"  load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=6, help="offline child positions")
    parser.add_argument("--rig", type=int, default=0, help="rig trials per echo level (0: none)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        if args.trials:
            offline(args.trials, Path(tmp))
        if args.rig:
            asyncio.run(on_rig(args.rig, Path(tmp)))


if __name__ == "__main__":
    main()
