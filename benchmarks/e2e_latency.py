"""End-to-end latency: speech end → first reply audio, through the real pipeline.

Ten or more child utterances (espeak-ng) are cut by the real endpointer (replayed), then each goes
through the daemon's real graph — faster-whisper tiny.en, emotion, the real anthropic SDK against
the local Messages-API server (streaming at once), safety filter, Piper (or --tts) playing into a
PulseAudio null sink started here. Printed: p50/p95 of speech end → first audio, each stage's
latency, and the ratio to transcription alone on the same clips measured in the same run (the
floor any pipeline on this board pays).

    .venv/bin/python benchmarks/e2e_latency.py [--tts piper|hibari|espeak-ng] [--n 12]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCES = [
    "I am scared of the dark.",
    "Can we play a game together?",
    "My dog is called Biscuit.",
    "Why is the sky blue?",
    "I miss my grandma.",
    "Tell me a story about a dragon.",
    "I built a tower with my blocks.",
    "He broke my toy and I am sad.",
    "What do bears eat for breakfast?",
    "I had a fun day at school today.",
    "Can you sing me a song?",
    "Good night teddy.",
]
REPLY = "That sounds wonderful. I love hearing about your day. What shall we do next?"


def synthesize(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        path = folder / f"{i:02d}.wav"
        text = SENTENCES[i % len(SENTENCES)]
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True)
        paths.append(path)
    return paths


async def endpoint(paths: list[Path]) -> list[Any]:
    """Cut each file with the real VAD/endpointer (replayed fast) into its utterance."""
    from daemon.hearing import ReplaySource
    from daemon.hearing.endpointing import Endpointer, SpeechEnded, listen

    utterances = []
    for path in paths:
        events = [e async for e in listen(ReplaySource(path, fast=True), Endpointer())]
        ended = [e for e in events if isinstance(e, SpeechEnded)]
        if ended:
            utterances.append(ended[0])
    return utterances


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, workdir: Path) -> None:
    from daemon.app import Daemon
    from daemon.config import TeddyConfig
    from tests.fake_messages_api import FakeMessagesAPI

    utterances = await endpoint(synthesize(workdir, args.n))
    api = FakeMessagesAPI()
    api.reply(REPLY)
    await api.start()
    os.environ["ANTHROPIC_API_KEY"] = "bench-key"
    config = TeddyConfig.model_validate(
        {
            "llm": {"base_url": api.base_url},
            "tts": {"backend": args.tts},
            "history": {"path": str(workdir / "history.sqlite3")},
        }
    )
    daemon = Daemon(config, listen=False, serve_http=False)
    await daemon.start()
    assert daemon.pipeline is not None and daemon.stages is not None
    await daemon.stages.transcriber.load()
    try:
        # Warm-up: the first call of every model pays one-off costs a running bear never sees.
        await daemon.pipeline.run_interaction(audio=utterances[0].audio, ended_at=time.monotonic())
        first_audio, stages, stt_alone = [], {}, []
        for utt in utterances:
            started = time.monotonic()
            await daemon.stages.transcriber(_Task({"audio_data": utt.audio}))
            stt_alone.append(time.monotonic() - started)
            outcome = await daemon.pipeline.run_interaction(
                audio=utt.audio, ended_at=time.monotonic()
            )
            timings = outcome.timings
            if outcome.status != "done" or "tts_first_audio_latency_s" not in timings:
                print(f"  skipped: {outcome.status} {outcome.error}", file=sys.stderr)
                continue
            first_audio.append(timings["tts_first_audio_latency_s"])
            for key, value in timings.items():
                if key.endswith("_latency_s"):
                    stages.setdefault(key[: -len("_latency_s")], []).append(value)
    finally:
        await daemon.stop()
        await api.stop()

    print(f"utterances: {len(first_audio)} of {len(utterances)} (tts={args.tts}, stt=tiny.en)")
    p50, p95 = pct(first_audio, 0.5), pct(first_audio, 0.95)
    print(f"speech end -> first reply audio: p50 {p50:.3f} s  p95 {p95:.3f} s")
    print("  targets: p50 <= 0.8 s, p95 <= 1.2 s")
    for name, values in stages.items():
        print(f"  {name:<18} p50 {pct(values, 0.5):.3f} s  p95 {pct(values, 0.95):.3f} s")
    stt = statistics.median(stt_alone)
    print(f"baseline (transcription alone, same clips): median {stt:.3f} s")
    print(f"ratio first-audio p50 / transcription alone: {p50 / stt:.2f}x")


class _Task:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.dependency_results: dict[str, Any] = {}

    def dependency_result(self, kind: Any) -> Any:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tts", default="piper", choices=["piper", "hibari", "espeak-ng"])
    parser.add_argument("--n", type=int, default=12)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from tests.audio_rig import AudioRig

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "rig").mkdir()
        rig = AudioRig(workdir=Path(tmp) / "rig")
        rig.start_server()
        # Before the first PortAudio use in this process: it enumerates devices once.
        os.environ["PULSE_SERVER"] = rig.server
        try:
            asyncio.run(run(args, Path(tmp)))
        finally:
            rig.close()


if __name__ == "__main__":
    main()
