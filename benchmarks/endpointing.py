"""Endpointing delay: true end of speech → ``SpeechEnded``, p50/p95 over ≥ 20 utterances.

Synthesizes sentences with espeak-ng, computes each true speech end from the WAV itself, and runs
them through the endpointer twice:
  * replay (fast): the algorithmic delay on the stream clock;
  * live (default when PulseAudio is installed): played into the virtual mic of a private
    PulseAudio rig and captured through PortAudio; delay = arrival of the event on the wall clock
    minus the true end located in the captured stream by cross-correlation.
The baseline printed alongside is ``silence_ms`` itself (the delay no endpointer can beat).

    .venv/bin/python benchmarks/endpointing.py [--silence-ms 400] [--count 21] [--no-live]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.signal import correlate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.hearing import SAMPLE_RATE, AudioFrame, MicrophoneSource, ReplaySource
from daemon.hearing.endpointing import Endpointer, SpeechEnded, listen
from tests.daemon.hearing.speech import Speech, sentences_with_pauses, write

SENTENCES = (
    "Hello teddy.",
    "Can we play hide and seek after lunch?",
    "My cat is called Whiskers.",
    "I do not want to go to bed yet.",
    "Why is the sky blue?",
    "Tell me a story about a brave little mouse.",
    "I lost my tooth today!",
    "What do bears eat for breakfast?",
    "I am a bit scared of the dark.",
    "Let's sing a song together.",
    "My friend Sam came to play.",
    "Do you like ice cream?",
    "I drew a picture of a rainbow.",
    "Where do the stars go in the morning?",
    "Grandma is coming to visit tomorrow.",
    "I can count to one hundred.",
    "The dog barked at the mailman.",
    "Can you tell me a joke?",
    "I had spaghetti for dinner.",
    "Good night teddy, I love you.",
    "Wake up, it is time to play!",
)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) * 1000


def report(name: str, delays: list[float], expected: int, silence_ms: int) -> None:
    p50, p95 = pct(delays, 50), pct(delays, 95)
    print(
        f"{name:7s} utterances={len(delays)}/{expected}  p50={p50:.0f} ms  p95={p95:.0f} ms  "
        f"max={max(delays) * 1000:.0f} ms  p95/silence_ms={p95 / silence_ms:.2f}  "
        f"(target p95 <= 450 ms: {'ok' if p95 <= 450 else 'MISSED'})"
    )


async def replay_delays(speech: Speech, wav: Path, silence_ms: int) -> list[float]:
    source = ReplaySource(wav, fast=True, lead_s=0.0)
    ended = [
        e
        async for e in listen(source, Endpointer(silence_ms=silence_ms))
        if isinstance(e, SpeechEnded)
    ]
    origin = source.file_offsets[0][1]
    return match(
        ended, [(origin + s, origin + e) for s, e in speech.segments], [e.t for e in ended]
    )


def match(
    ended: list[SpeechEnded], truth: list[tuple[float, float]], times: list[float]
) -> list[float]:
    """Delay per true utterance that has exactly one detected utterance overlapping it."""
    delays = []
    for start, end in truth:
        hits = [
            t
            for e, t in zip(ended, times, strict=True)
            if e.started_at < end and e.ended_at > start
        ]
        if len(hits) == 1:
            delays.append(hits[0] - end)
    return delays


async def live_delays(speech: Speech, wav: Path, silence_ms: int) -> list[float]:
    from tests.audio_rig import AudioRig

    rig = AudioRig(workdir=Path(tempfile.mkdtemp(prefix="teddy-bench-")))
    rig.start_server()
    os.environ["PULSE_SERVER"] = rig.server
    try:
        source = MicrophoneSource(None)
        frames: list[AudioFrame] = []
        ended: list[SpeechEnded] = []
        arrivals: list[float] = []
        flowing = asyncio.Event()

        class Tap:
            async def frames(self):  # type: ignore[no-untyped-def]
                async for frame in source.frames():
                    frames.append(frame)
                    flowing.set()
                    yield frame

        async def consume() -> None:
            async for event in listen(Tap(), Endpointer(silence_ms=silence_ms)):
                if isinstance(event, SpeechEnded):
                    arrivals.append(time.monotonic())
                    ended.append(event)

        task = asyncio.create_task(consume())
        await asyncio.wait_for(flowing.wait(), 15)
        player = await asyncio.create_subprocess_exec(
            "paplay", "--device=mic_in", str(wav), env=rig.env
        )
        await player.wait()
        await asyncio.sleep(1.5)  # the last end-of-speech decision
        source.close()
        await asyncio.wait_for(task, 10)
        captured = np.concatenate([f.samples for f in frames])
        offset = int(np.argmax(correlate(captured, speech.audio, mode="valid", method="fft")))
        origin = frames[0].t + offset / SAMPLE_RATE
        truth = [(origin + s, origin + e) for s, e in speech.segments]
        print(f"live    capture overflows={source.state.overflows}")
        return match(ended, truth, arrivals)
    finally:
        rig.close()
        shutil.rmtree(rig.workdir, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--silence-ms", type=int, default=400)
    parser.add_argument("--count", type=int, default=len(SENTENCES))
    parser.add_argument("--no-live", action="store_true", help="skip the PulseAudio rig run")
    args = parser.parse_args()
    sentences = tuple((SENTENCES * 3)[: args.count])
    with tempfile.TemporaryDirectory() as tmp:
        speech = sentences_with_pauses(Path(tmp), sentences, pause_s=1.2)
        wav = write(Path(tmp) / "all.wav", speech.audio)
        print(
            f"endpointing delay, silence_ms={args.silence_ms} (baseline), "
            f"{len(sentences)} utterances"
        )
        report(
            "replay",
            await replay_delays(speech, wav, args.silence_ms),
            len(sentences),
            args.silence_ms,
        )
        if not args.no_live and shutil.which("pulseaudio"):
            report(
                "live",
                await live_delays(speech, wav, args.silence_ms),
                len(sentences),
                args.silence_ms,
            )


if __name__ == "__main__":
    asyncio.run(main())
