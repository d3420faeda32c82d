"""Perceived latency: the true end of the child's speech → the bear's first audible sample.

Measured from outside, on the PulseAudio rig, on one recording: each child clip is played into a
combine sink whose slaves are the virtual microphone (the daemon hears it) and the virtual
speaker (so the child's voice lands on ``speaker.monitor`` next to the bear's reply, on the same
clock). The daemon runs as in production: capture → endpointer (with speculative transcription
at short pauses) → the real graph (faster-whisper, emotion, the real anthropic SDK against the
local Messages-API server, which streams at once) → TTS → PortAudio → PulseAudio.

From the recording: true end = where the clip's voiced part ends (its own WAV, -45 dBFS), first
audible = the first 5 ms window above -45 dBFS after it. Printed: p50/p95 perceived, the daemon's
own stage latencies (from its ``speech_ended`` event), the output path (perceived minus the
daemon's end→handover, which also holds the input path and the endpointer's end estimate error),
speculative decodes (started, hits, wasted, their CPU) and false cut-offs on clips with a
mid-sentence pause (an utterance closed inside the sentence).

    .venv/bin/python benchmarks/e2e_latency.py [--tts hibari|piper|espeak-ng] [--n 8] [--paused 3]
        [--early-ms 220 --unfinished-ms 700]  (--early-ms 0 --unfinished-ms 0: before issue 11's
        semantic end-of-turn) [--barge-in on|off]  (off: half duplex, the output stream opened
        per reply)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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
# A child's mid-sentence pause (seconds): short ones must not end the turn.
PAUSED = [
    ("I saw a big", 0.30, "dog at the park."),
    ("Can I have", 0.25, "some juice please?"),
    ("My favourite colour is", 0.35, "green."),
    ("When I grow up I want to be", 0.30, "a doctor."),
]
REPLY = "Oh, how lovely!"
RATE = 16_000
FLOOR_DB = -45.0


@dataclass
class Clip:
    path: Path
    text: str
    voiced: tuple[float, float]  # true speech start/end in the WAV (s)
    paused: bool


def espeak(text: str, path: Path) -> np.ndarray:
    import soundfile as sf

    from processors.audio.samples import as_float32

    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True)
    data, rate = sf.read(str(path), dtype="float32")
    return as_float32(data, int(rate))


def synthesize(folder: Path, n: int, n_paused: int) -> list[Clip]:
    import soundfile as sf

    from tests.daemon.hearing.speech import voiced_bounds

    clips = []
    lead = np.zeros(int(0.5 * RATE), np.float32)
    for i in range(n + n_paused):
        if i < n:
            audio = espeak(SENTENCES[i % len(SENTENCES)], folder / f"raw{i}.wav")
            text, paused = SENTENCES[i % len(SENTENCES)], False
        else:
            first, gap, second = PAUSED[(i - n) % len(PAUSED)]
            a, b = espeak(first, folder / f"a{i}.wav"), espeak(second, folder / f"b{i}.wav")
            a = a[: round(voiced_bounds(a)[1] * RATE)]
            b = b[round(voiced_bounds(b)[0] * RATE) :]
            audio = np.concatenate([a, np.zeros(round(gap * RATE), np.float32), b])
            text, paused = f"{first} {second}", True
        audio = np.concatenate([lead, audio, np.zeros(int(0.3 * RATE), np.float32)])
        path = folder / f"clip{i:02d}.wav"
        sf.write(path, audio, RATE)
        clips.append(Clip(path, text, voiced_bounds(audio, FLOOR_DB), paused))
    return clips


def loud_windows(audio: np.ndarray) -> np.ndarray:
    win = RATE // 200
    n = audio.size // win
    rms = np.sqrt(np.mean(audio[: n * win].reshape(n, win) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-9)) > FLOOR_DB


def measure(recording: Path, clips: list[Clip]) -> list[float | None]:
    """Perceived latency per clip, read off the one speaker.monitor recording."""
    import soundfile as sf

    audio, rate = sf.read(str(recording), dtype="float32")
    assert rate == RATE
    loud = loud_windows(audio)
    step = 1 / 200
    cursor = 0
    out: list[float | None] = []
    for clip in clips:
        onsets = np.flatnonzero(loud[cursor:])
        if onsets.size == 0:
            out.append(None)
            continue
        onset = (cursor + int(onsets[0])) * step
        true_end = onset + clip.voiced[1] - clip.voiced[0]
        after = round((true_end + 0.05) / step)
        bear = np.flatnonzero(loud[after : after + round(4.0 / step)])
        if bear.size == 0:
            out.append(None)
            cursor = after
            continue
        first = (after + int(bear[0])) * step
        out.append(first - true_end)
        # skip the bear's reply: to the first 0.8 s gap after its start
        quiet = 0
        i = after + int(bear[0])
        while i < loud.size and quiet < round(0.8 / step):
            quiet = 0 if loud[i] else quiet + 1
            i += 1
        cursor = i
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q * 100)) if values else float("nan")


async def run(args: argparse.Namespace, workdir: Path, rig: Any) -> None:
    from daemon.app import Daemon
    from daemon.config import TeddyConfig
    from daemon.hearing.endpointing import SpeechEnded
    from tests.fake_messages_api import FakeMessagesAPI

    clips = synthesize(workdir, args.n, args.paused)
    api = FakeMessagesAPI()
    api.reply(REPLY)
    await api.start()
    os.environ["ANTHROPIC_API_KEY"] = "bench-key"
    config = TeddyConfig.model_validate(
        {
            "llm": {"base_url": api.base_url},
            "tts": {"backend": args.tts},
            "history": {"path": str(workdir / "history.sqlite3")},
            "vad": {
                "pause_ms": args.pause_ms,
                "early_silence_ms": args.early_ms,
                "unfinished_silence_ms": args.unfinished_ms,
            },
            "stt": {"speculative": args.pause_ms > 0},
            "audio": {"barge_in": args.barge_in == "on"},
        }
    )
    daemon = Daemon(config, listen=True, serve_http=False, freeze_at_ready=True)  # as teddy run
    await daemon.start()
    assert daemon.listener is not None and daemon.stages is not None
    listener, speaker = daemon.listener, daemon.stages.speaker
    ended: list[tuple[int, SpeechEnded]] = []
    current = [-1]
    handler = listener._on_utterance

    def spy(event: SpeechEnded) -> None:
        ended.append((current[0], event))
        handler(event)

    listener._on_utterance = spy
    recording = rig.record_speaker(workdir / "speaker.wav")
    try:
        await asyncio.sleep(1.0)
        # warm-up utterance (first-call costs a running bear never sees), then the clips
        for i, clip in enumerate([clips[0], *clips]):
            current[0] = i - 1
            await asyncio.to_thread(rig_play, rig, clip.path)
            await wait_for_reply(lambda: bool(speaker.speaking), 10.0)
            await asyncio.sleep(0.6)
    finally:
        recording.stop()
        stats = daemon.stages.transcriber.speculation
        summary = daemon.latency.summary()
        pauses = listener.pauses
        turns, early, split = listener.turns, listener.early_ends, listener.early_split
        await daemon.stop()
        await api.stop()
    perceived_all = measure(recording.path, [clips[0], *clips])[1:]
    perceived = [p for p in perceived_all if p is not None]
    print(
        f"clips: {len(clips)} ({args.paused} with a mid-sentence pause), tts={args.tts}, "
        f"stt=tiny.en, vad.pause_ms={args.pause_ms}, early_silence_ms={args.early_ms}, "
        f"unfinished_silence_ms={args.unfinished_ms}; heard a reply to {len(perceived)}; "
        f"load average {os.getloadavg()[0]:.2f} (1 min)"
    )
    print(
        f"perceived (true end of speech -> first audible bear sample): "
        f"p50 {pct(perceived, 0.5):.3f} s  p95 {pct(perceived, 0.95):.3f} s  "
        "(targets p50 <= 0.65, p95 <= 0.9)"
    )
    for name, row in summary.items():
        print(
            f"  daemon: speech_ended -> {name:<18} "
            f"p50 {row['p50_s']:.3f} s  p95 {row['p95_s']:.3f} s"
        )
    handover = summary.get("tts_first_audio")
    if handover and perceived:
        print(
            f"output path + input path + end estimate (perceived p50 - handover p50): "
            f"{pct(perceived, 0.5) - float(handover['p50_s']):.3f} s (target <= 0.1)"
        )
    endpointing = [e.t - e.ended_at for _, e in ended]
    print(f"endpointer: decided p50 {pct(endpointing, 0.5):.3f} s after its end estimate")
    cutoffs = sum(
        1 for i, clip in enumerate(clips) if sum(1 for j, _ in ended if j == i) > 1 and clip.paused
    )
    print(f"false cut-offs: {cutoffs} of {args.paused} clips with a mid-sentence pause")
    print(
        f"semantic end-of-turn: verdicts {turns}, {early} turns ended early, "
        f"{split} followed by speech within silence_ms"
    )
    if stats is not None:
        s = stats.stats
        print(
            f"speculation: {pauses} pauses, {s.started} started, {s.hits} hits "
            f"({s.hits / max(1, len(ended)):.0%} of utterances), {s.wasted} wasted "
            f"({s.wasted_cpu_s:.2f} s CPU, {s.wasted_wall_s:.2f} s wall), {s.cancelled} cancelled"
        )


async def wait_for_reply(speaking: Any, limit_s: float) -> None:
    """Until the bear has started and stopped speaking (or ``limit_s``)."""
    deadline = time.monotonic() + limit_s
    for want in (True, False):
        while time.monotonic() < deadline and speaking() != want:  # noqa: ASYNC110 (a poll)
            await asyncio.sleep(0.02)


def rig_play(rig: Any, path: Path) -> None:
    subprocess.run(["paplay", "--device=child", str(path)], env=rig.env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tts", default="hibari", choices=["piper", "hibari", "espeak-ng"])
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--paused", type=int, default=3, help="clips with a mid-sentence pause")
    parser.add_argument("--pause-ms", type=int, default=180, help="0: no speculation")
    parser.add_argument("--early-ms", type=int, default=220, help="vad.early_silence_ms (0: off)")
    parser.add_argument("--unfinished-ms", type=int, default=700, help="vad.unfinished_silence_ms")
    parser.add_argument(
        "--barge-in", default="on", choices=["on", "off"], help="audio.barge_in (default on)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from tests.audio_rig import AudioRig

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "rig").mkdir()
        rig = AudioRig(workdir=Path(tmp) / "rig")
        rig.start_server()
        rig.pactl("load-module", "module-combine-sink", "sink_name=child", "slaves=mic_in,speaker")
        # Before the first PortAudio use in this process: it enumerates devices once.
        os.environ["PULSE_SERVER"] = rig.server
        try:
            asyncio.run(run(args, Path(tmp), rig))
        finally:
            rig.close()


if __name__ == "__main__":
    main()
