"""TTS speed per backend, against espeak-ng measured in the same run.

For each backend (hibari, piper, espeak-ng) after loading and one warm-up:
- load_s: loading the model (first time in this process, includes the warm-up sentence);
- first_audio_s: text in → first sentence's audio ready (what the child waits for, before the
  device), median over the replies;
- rtf: synthesis time / audio duration over whole replies (lower is faster; 0.01 = 100x realtime).
Ratios are against espeak-ng. With ``--audio`` it also starts a private PulseAudio rig and measures
the Speaker's real ``first_audio_s`` (first sentence handed to the output device) per backend.

    .venv/bin/python benchmarks/tts.py [--rounds 3] [--audio]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processors.speech.tts.chain import BACKENDS, create_backend
from processors.speech.tts.rate import SpeakingRate
from processors.speech.tts.text import speakable_sentences

REPLIES = (
    "Hello there, little friend! Shall we read a story about a sleepy dragon together?",
    "That sounds really scary. I'm right here with you, and you are very brave.",
    "Good night, sleep tight. Tomorrow we can build a tower of blocks as tall as the moon.",
    "Do you know what sound a cow makes? It says moo, and sometimes it eats grass all day.",
)


def measure(name: str, rounds: int) -> dict[str, Any] | None:
    backend = create_backend(name, SpeakingRate())
    started = time.perf_counter()
    try:
        backend.load()
    except Exception as exc:
        print(f"{name:10s} unavailable: {exc}")
        return None
    load_s = time.perf_counter() - started
    backend.synthesize("Warm up.")
    firsts: list[float] = []
    synth = audio = 0.0
    for _ in range(rounds):
        for reply in REPLIES:
            t0 = time.perf_counter()
            for i, sentence in enumerate(speakable_sentences(reply)):
                clip = backend.synthesize(sentence)
                if i == 0:
                    firsts.append(time.perf_counter() - t0)
                audio += clip.size / backend.sample_rate
            synth += time.perf_counter() - t0
    return {
        "load_s": load_s,
        "first_audio_s": statistics.median(firsts),
        "rtf": synth / audio,
        "audio_s": audio / (rounds * len(REPLIES)),
    }


async def measure_on_device(names: list[str]) -> dict[str, float]:
    """Speaker first_audio_s (text in → first block written to the device) on the rig."""
    from processors.speech.stage import Speaker
    from tests.audio_rig import AudioRig
    from tests.portaudio import reinit_portaudio

    rig = AudioRig(workdir=Path(tempfile.mkdtemp(prefix="teddy-bench-")))
    rig.start_server()
    os.environ["PULSE_SERVER"] = rig.server
    reinit_portaudio()
    results: dict[str, float] = {}
    try:
        for name in names:
            speaker = Speaker(backend=name, fallback=False)
            await speaker.load()
            await speaker.speak("warm-up", "Hi.")  # also gets past the rig's first-stream stall
            firsts = []
            for i, reply in enumerate(REPLIES[:2]):
                result = await speaker.speak(f"{name}-{i}", reply)
                firsts.append(result["first_audio_s"])
            results[name] = statistics.median(firsts)
    finally:
        rig.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--audio", action="store_true", help="also measure on the PulseAudio rig")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = {name: measure(name, args.rounds) for name in BACKENDS}
    base = rows.get("espeak-ng")
    if base is None:
        print("espeak-ng (the baseline) is unavailable: apt-get install espeak-ng")
        return 1
    print(f"\nTTS, {len(REPLIES)} two-sentence replies x {args.rounds} rounds, child rate 0.85")
    print(
        f"{'backend':10s} {'load_s':>7s} {'first_audio_s':>14s} {'vs espeak':>10s} "
        f"{'rtf':>7s} {'x realtime':>11s} {'vs espeak':>10s} {'audio_s/reply':>14s}"
    )
    for name, row in rows.items():
        if row is None:
            continue
        print(
            f"{name:10s} {row['load_s']:7.2f} {row['first_audio_s']:14.4f} "
            f"{row['first_audio_s'] / base['first_audio_s']:9.2f}x "
            f"{row['rtf']:7.4f} {1 / row['rtf']:10.0f}x {row['rtf'] / base['rtf']:9.2f}x "
            f"{row['audio_s']:14.2f}"
        )
    if args.audio:
        on_device = asyncio.run(measure_on_device([n for n, r in rows.items() if r]))
        print("\nfirst audio on the device (Speaker, PulseAudio rig), median of 2 replies")
        for name, first in on_device.items():
            ratio = first / on_device["espeak-ng"] if on_device.get("espeak-ng") else float("nan")
            print(f"{name:10s} {first:8.4f} s   {ratio:6.2f}x espeak-ng")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
