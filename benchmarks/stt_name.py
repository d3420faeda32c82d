"""The bear's name in STT: how often Whisper writes "teddy", without and with ``stt.hotwords``.

Both engines run in this one process on the same clips: teddy's default Transcriber (tiny.en,
beam 5, full window, guards) with ``hotwords = ""`` and with ``hotwords = TEXT`` (default
"Teddy.", the daemon's ``stt.hotwords``). Nothing here was tuned on: the sentences were written
for this benchmark only.

  name        10 sentences a child says to the bear, each holding "teddy", in 3 espeak-ng voices
              (fixed voice, pitch and speed; espeak-ng has no randomness), among them the
              PulseAudio rig's child ("Stop teddy, stop, I want ...", en-us+f3 at 140 wpm):
              clips whose transcript holds the word "teddy", and the WER of these clips
  non-speech  the hallucination guard's test inputs (tests/processors/stt: silence, noises, hum)
              plus seeded noises (np.random.default_rng(seed)): how often the raw decoder (no
              guard) writes "teddy", and what the guarded stage does (rejects / passes), once
              with the VAD gate and once with it open (the decoder's own signals only)
  latency     warm wall time of the name clips padded to >= 3 s, the two engines alternating
              clip by clip (so both see the same machine load), p50/p95

    .venv/bin/python benchmarks/stt_name.py [--hotwords Teddy.] [--show]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
RATE = 16_000
NAME = re.compile(r"\bteddy\b", re.IGNORECASE)

# Written for this benchmark only; the first is the rig's child (tests/e2e/barge_in_rig.py).
SENTENCES = (
    "Stop teddy, stop, I want to ask something else.",
    "Teddy, can you tell me a story?",
    "Good night teddy, I love you.",
    "Hey teddy, do you want to play a game?",
    "I am sad today, teddy.",
    "Teddy, why do cats purr?",
    "Thank you teddy, that was funny.",
    "Wait teddy, I did not hear you.",
    "Teddy, what is your favourite colour?",
    "Teddy bear, sing me a song please.",
)
# (espeak-ng voice, pitch, words per minute): the rig's child first (espeak-ng's default pitch 50)
VOICES = (("en-us+f3", 50, 140), ("en-gb", 50, 150), ("en-us+m3", 50, 150))


def name_clips(folder: Path) -> list[tuple[str, str, Path]]:
    """(voice, text, wav) for every sentence in every voice."""
    clips = []
    for v, (voice, pitch, wpm) in enumerate(VOICES):
        for i, text in enumerate(SENTENCES):
            path = folder / f"name_{v}_{i:02d}.wav"
            cmd = ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(wpm), "-w", str(path)]
            subprocess.run([*cmd, text], check=True, capture_output=True, timeout=60)
            clips.append((voice, text, path))
    return clips


def non_speech() -> dict[str, Any]:
    """The guard tests' inputs, then seeded noises the tests do not use."""
    from tests.processors.stt.clips import silence, white_noise

    t = np.arange(3 * RATE, dtype=np.float32) / RATE
    clips: dict[str, Any] = {
        "silence": silence(),
        "silence+1e-6": silence() + np.float32(1e-6),
        "quiet noise": white_noise(level=0.003),
        "white noise": white_noise(level=0.1),
        "loud noise": np.clip(white_noise(level=0.5), -1, 1),
        "short noise": white_noise(1.0, level=0.05, seed=5),
        "long noise": white_noise(8.0, level=0.05, seed=7),
        "hum": (0.1 * np.sin(2 * np.pi * 50 * t)).astype(np.float32),
    }
    for seed, level in ((11, 0.01), (12, 0.03), (13, 0.2)):
        clips[f"white {level} seed {seed}"] = white_noise(level=level, seed=seed)
    for seed in (21, 22):  # brown noise: the rumble of a room
        walk = np.cumsum(np.random.default_rng(seed).standard_normal(3 * RATE))
        walk -= np.linspace(walk[0], walk[-1], walk.size)
        clips[f"brown seed {seed}"] = (0.1 * walk / np.abs(walk).max()).astype(np.float32)
    for seed in (31, 32, 33):  # noise with a 4 Hz syllable-like envelope: gets past a VAD
        rng = np.random.default_rng(seed)
        envelope = np.clip(np.sin(2 * np.pi * (4 + seed % 3) * t + rng.uniform(0, 6)), 0, None)
        clips[f"syllable noise seed {seed}"] = (
            0.1 * envelope * rng.standard_normal(t.size)
        ).astype(np.float32)
    return clips


def _text(stage: Any, audio: Any) -> str | None:
    """The stage's transcript, or None when the guard rejects the utterance."""
    from processors.stt.errors import UtteranceRejected

    try:
        return str(stage.transcribe_array(audio).text)
    except UtteranceRejected:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hotwords", default="Teddy.")
    parser.add_argument("--show", action="store_true", help="print every transcript")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        print("needs espeak-ng (Debian package)", file=sys.stderr)
        return 2
    from processors.stt.audio_file import read_audio_file
    from processors.stt.backends import create_backend
    from processors.stt.guard import GuardConfig
    from processors.stt.models import DEFAULT_MODEL
    from processors.stt.stage import Transcriber
    from tests.processors.stt.textnorm import normalised_wer

    engines = {"": None, args.hotwords: None}
    stages: dict[str, tuple[Any, Any, Any]] = {}
    for words in engines:
        backend = create_backend("faster-whisper", DEFAULT_MODEL, hotwords=words)
        gated = Transcriber.with_backend(backend, hotwords=words, speculative=False)
        open_guard = GuardConfig(min_speech_s=0.0, min_speech_ratio=0.0)
        opened = Transcriber.with_backend(
            backend, hotwords=words, speculative=False, guard=open_guard
        )
        stages[words] = (backend, gated, opened)

    with tempfile.TemporaryDirectory(prefix="teddy-name-") as tmp:
        clips = [(v, t, read_audio_file(p)) for v, t, p in name_clips(Path(tmp))]
    print(f"name: {len(SENTENCES)} sentences x {len(VOICES)} espeak-ng voices {VOICES}")
    for words, (_, gated, _) in stages.items():
        pairs, right, per_voice = [], 0, {v: 0 for v, _, _ in VOICES}
        for voice, text, audio in clips:
            hyp = _text(gated, audio) or ""
            pairs.append((text, hyp))
            hit = bool(NAME.search(hyp))
            right += hit
            per_voice[voice] += hit
            if args.show:
                print(f"  [{words!r}] {voice:9} {'ok ' if hit else 'MISS'} {hyp!r}")
        voices = ", ".join(f"{v} {n}/{len(SENTENCES)}" for v, n in per_voice.items())
        print(
            f"hotwords {words!r:9}: 'teddy' right in {right}/{len(clips)} ({voices}); "
            f"WER {normalised_wer(pairs):.3f}"
        )

    noises = non_speech()
    print(f"\nnon-speech: {len(noises)} clips ({', '.join(noises)})")
    for words, (backend, gated, opened) in stages.items():
        raw_teddy = raw_text = gated_rej = gated_teddy = open_rej = open_teddy = 0
        for name, audio in noises.items():
            raw = backend.transcribe(audio, "en", 5).text.strip()
            raw_text += bool(raw)
            raw_teddy += bool(NAME.search(raw))
            g, o = _text(gated, audio), _text(opened, audio)
            gated_rej += g is None
            open_rej += o is None
            gated_teddy += bool(g and NAME.search(g))
            open_teddy += bool(o and NAME.search(o))
            if args.show:
                print(f"  [{words!r}] {name:22} raw {raw!r:40} gated {g!r} open {o!r}")
        print(
            f"hotwords {words!r:9}: raw decoder wrote text on {raw_text}, 'teddy' on {raw_teddy}; "
            f"guarded stage rejected {gated_rej}, passed 'teddy' {gated_teddy}; "
            f"VAD gate open: rejected {open_rej}, passed 'teddy' {open_teddy} (of {len(noises)})"
        )
    latency(stages, [audio for _, _, audio in clips])
    return 0


def latency(stages: dict[str, tuple[Any, Any, Any]], clips: list[Any]) -> None:
    padded = [np.pad(a, (0, max(0, 3 * RATE - len(a)))) for a in clips]
    seconds: dict[str, list[float]] = {words: [] for words in stages}
    for audio in padded:
        for words, (_, gated, _) in stages.items():
            started = time.perf_counter()
            _text(gated, audio)
            seconds[words].append(time.perf_counter() - started)
    load = os.getloadavg()[0]
    print(f"\nlatency: {len(padded)} name clips padded to >= 3 s, engines alternating")
    for words, values in seconds.items():
        p50, p95 = np.percentile(values, 50), np.percentile(values, 95)
        print(f"hotwords {words!r:9}: p50 {p50:.3f} s, p95 {p95:.3f} s (load {load:.2f})")


if __name__ == "__main__":
    sys.exit(main())
