"""Semantic end-of-turn offline: early ends on complete utterances, false cut-offs on pauses.

Every clip runs through the real endpointer (Silero VAD) and the real speculative decode
(faster-whisper tiny.en, the default model) on the recording's clock: at each short pause the
audio so far is transcribed, judged (``daemon/hearing/turnend.py``) and the verdict reaches the
endpointer after the decode's measured wall time (``--instant``: at once, the worst case for
cut-offs). Each clip runs twice in the same process: the baseline (``early_silence_ms = 0``,
``unfinished_silence_ms = 0``: always ``silence_ms``) and semantic end-of-turn (the defaults).

Data (espeak-ng, deterministic): the ``dev`` set, written for this benchmark and used to shape
the rules, and the ``judge`` set, the sentences of benchmarks/e2e_latency.py the rules were never
tuned on. Complete clips: one sentence. Paused clips: a sentence with a silent gap cut in
mid-sentence (250-700 ms), where ending the turn is a false cut-off.

    .venv/bin/python benchmarks/turnend.py [--instant] [--set dev|judge|both]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RATE = 16_000
DEV_COMPLETE = [
    "Can you tell me a story about a dragon?",
    "I lost my tooth today.",
    "Where do the stars go in the morning?",
    "My brother took my crayons.",
    "I don't like broccoli.",
    "Do fish ever sleep?",
    "We went to the zoo with grandpa.",
    "I can count to one hundred.",
    "Why do cats purr?",
    "I had a bad dream last night.",
    "Let's build a rocket ship.",
    "Is it snowing outside?",
]
# (before the gap, gap in seconds, after it): the gaps cycle through 250-700 ms
DEV_PAUSED = [
    ("I want", 0.45, "a dragon story."),
    ("Can you tell me about", 0.30, "the moon?"),
    ("My teacher said that", 0.60, "we have a test."),
    ("I saw a really", 0.35, "tall giraffe."),
    ("We played with the", 0.25, "puppy all day."),
    ("Um, can I", 0.50, "have a cookie?"),
    ("And then", 0.70, "the dragon flew away."),
    ("I don't want to go to", 0.40, "bed yet."),
    ("My favourite animal is a", 0.30, "penguin."),
    ("Yesterday I went to the park and", 0.55, "I fell off the swing."),
    ("Because I", 0.28, "was scared."),
    ("Can we go outside and", 0.65, "play football?"),
]


def espeak(text: str, path: Path, voice: str) -> np.ndarray:
    import soundfile as sf

    from processors.audio.samples import as_float32

    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text], check=True)
    data, rate = sf.read(str(path), dtype="float32")
    return as_float32(data, int(rate))


def trimmed(audio: np.ndarray) -> np.ndarray:
    from tests.daemon.hearing.speech import voiced_bounds

    start, end = voiced_bounds(audio)
    return audio[round(start * RATE) : round(end * RATE)]


def clips(
    folder: Path, complete: list[str], paused: list[tuple[str, float, str]], voice: str
) -> list[tuple[str, np.ndarray, bool]]:
    """(text, 16 kHz audio with 0.5 s lead and 1.2 s trailing silence, has a mid-sentence gap)"""
    lead, tail = np.zeros(RATE // 2, np.float32), np.zeros(int(1.2 * RATE), np.float32)
    out = []
    for i, text in enumerate(complete):
        speech = trimmed(espeak(text, folder / f"c{i}.wav", voice))
        out.append((text, np.concatenate([lead, speech, tail]), False))
    for i, (first, gap, second) in enumerate(paused):
        a = trimmed(espeak(first, folder / f"a{i}.wav", voice))
        b = trimmed(espeak(second, folder / f"b{i}.wav", voice))
        gap_audio = np.zeros(round(gap * RATE), np.float32)
        audio = np.concatenate([lead, a, gap_audio, b, tail])
        out.append((f"{first} [{gap:.2f}] {second}", audio, True))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instant", action="store_true", help="verdicts at the pause")
    parser.add_argument("--set", default="both", choices=["dev", "judge", "both"])
    parser.add_argument("--verbose", action="store_true", help="print every pause transcript")
    args = parser.parse_args()

    from benchmarks.e2e_latency import PAUSED, SENTENCES
    from processors.stt.stage import Transcriber

    stage = Transcriber(backend="faster-whisper", cpu_threads=2)
    stage.load_sync()
    decode_s: list[float] = []

    def transcribe(audio: np.ndarray) -> tuple[str, float]:
        start = time.perf_counter()
        text = stage.transcribe_array(audio, "en").text
        decode_s.append(time.perf_counter() - start)
        return text, decode_s[-1]

    sets = {"dev": (DEV_COMPLETE, DEV_PAUSED), "judge": (SENTENCES, PAUSED)}
    chosen = ["dev", "judge"] if args.set == "both" else [args.set]
    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            complete, paused = sets[name]
            for voice in ("en-us", "en-gb"):
                data = clips(Path(tmp), complete, paused, voice)
                for label, early, unfinished in (("baseline", 0, 0), ("semantic", 220, 700)):
                    line = evaluate(data, transcribe, early, unfinished, args)
                    print(f"{name:<5} {voice:<5} {label:<8}: {line}")
    print(
        f"speculative decodes: {len(decode_s)}, wall p50 {np.percentile(decode_s, 50):.3f} s "
        f"p95 {np.percentile(decode_s, 95):.3f} s; load average now {os.getloadavg()[0]:.2f}"
    )


def evaluate(
    data: list[tuple[str, np.ndarray, bool]],
    transcribe: Callable[[np.ndarray], tuple[str, float]],
    early_ms: int,
    unfinished_ms: int,
    args: argparse.Namespace,
) -> str:
    from daemon.hearing.endpointing import Endpointer
    from daemon.hearing.vad import load_vad
    from tests.daemon.hearing.turn_sim import simulate

    early_ends = cutoffs = 0
    delays: list[float] = []
    for text, audio, has_gap in data:
        ep = Endpointer(
            load_vad("silero"),
            silence_ms=400,
            pause_ms=180,
            early_silence_ms=early_ms,
            unfinished_silence_ms=unfinished_ms,
        )
        run = simulate(ep, audio, transcribe, delay=not args.instant)
        ended = run.ended
        if args.verbose:
            verdicts = [(said, turn.value) for said, turn in run.verdicts]
            print(f"    {text!r}: {verdicts} -> {len(ended)} end(s)")
        if has_gap:
            cutoffs += len(ended) > 1
        elif ended:
            early_ends += ended[-1].early
            delays.append(ended[-1].t - ended[-1].ended_at)
    n_complete = sum(1 for *_, gap in data if not gap)
    return (
        f"early ends {early_ends}/{n_complete} complete, end decided p50 "
        f"{np.percentile(delays, 50):.3f} s after the speech (max {max(delays):.3f}); "
        f"false cut-offs {cutoffs}/{len(data) - n_complete} paused"
    )


if __name__ == "__main__":
    main()
