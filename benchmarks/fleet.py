"""Fleet figure: how many bears one pair of Wyoming servers serves at p95 <= 1 s.

Starts the real ``wyoming-faster-whisper`` (tiny.en, int8, beam 5, ``--stt-threads``) and
``wyoming-piper`` (joe medium) on 127.0.0.1, then drives N simulated bears. Each bear replays
real recordings from tests/data/speech_real (the clips of at most 7 s; CMU ARCTIC, pocketsphinx
test data, praatio) in a seeded order, one turn every ``--interval`` seconds on average
(uniform +-50 %: a child speaks, then listens to the reply), through teddy's own client code
(``processors.stt.wyoming`` / ``processors.speech.tts.wyoming``). Per turn it records:

  end of speech -> transcript    the whole utterance is sent when it ends (teddy streams at the
                                 end of the utterance), so this includes sending it
  end of speech -> first audio   transcript + the first reply sentence synthesized; the reply's
                                 generation (Claude or the offline responder) is not included

Baseline in the same run: the same clips and sentence on local engines in this process (the
bear's own CPU: faster-whisper tiny.en int8 with ``--stt-threads``, Piper joe), one at a time.
Ratios are fleet / local at the same percentile.

    .venv/bin/python benchmarks/fleet.py [--bears 1,2,4,8] [--turns 4] [--interval 10]
        [--stt-servers 1] [--stt-threads 2]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processors.audio.samples import Float32Array, as_float32
from processors.speech.tts.piper import PiperBackend
from processors.speech.tts.wyoming import WyomingTtsBackend
from processors.stt.backends import create_backend
from processors.stt.wyoming import WyomingSttBackend
from tests.e2e.harness import free_port
from tests.wyoming_servers import WyomingServer

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "speech_real"
REPLY_FIRST_SENTENCE = "That sounds like a lovely idea!"
TARGET_P95_S = 1.0


def clips(max_s: float = 7.0) -> list[Float32Array]:
    found = []
    for path in sorted(DATA.glob("*.wav")):
        data, rate = sf.read(path, dtype="float32")
        audio = as_float32(data, rate)
        if len(audio) / 16_000 <= max_s:
            found.append(audio)
    return found


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class Run:
    transcript_s: list[float] = field(default_factory=list)
    first_audio_s: list[float] = field(default_factory=list)
    errors: int = 0


async def bear(
    index: int,
    stt: WyomingSttBackend,
    tts: WyomingTtsBackend,
    audio: list[Float32Array],
    turns: int,
    interval_s: float,
    run: Run,
) -> None:
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, interval_s))  # bears do not start in step
    for turn in range(turns):
        clip = audio[(index * 7 + turn) % len(audio)]
        ended = time.perf_counter()  # the child stops speaking now
        try:
            await asyncio.to_thread(stt.transcribe, clip, "en", 5)
            heard = time.perf_counter()
            await asyncio.to_thread(tts.synthesize, REPLY_FIRST_SENTENCE)
            spoke = time.perf_counter()
        except Exception:
            run.errors += 1
            continue
        run.transcript_s.append(heard - ended)
        run.first_audio_s.append(spoke - ended)
        await asyncio.sleep(rng.uniform(0.5 * interval_s, 1.5 * interval_s))


async def fleet(
    n: int,
    stt_uris: list[str],
    tts_uri: str,
    audio: list[Float32Array],
    turns: int,
    interval: float,
) -> Run:
    run = Run()
    # one client object per bear, as each bear has its own daemon; bear k uses STT server
    # k mod len(stt_uris) (the fixed-group topology of docs/fleet.md)
    pairs = [
        (
            WyomingSttBackend(stt_uris[k % len(stt_uris)], 30.0),
            WyomingTtsBackend(tts_uri, None, 30.0),
        )
        for k in range(n)
    ]
    await asyncio.gather(
        *(bear(i, s, t, audio, turns, interval, run) for i, (s, t) in enumerate(pairs))
    )
    return run


def local_baseline(audio: list[Float32Array], threads: int) -> Run:
    run = Run()
    stt = create_backend("faster-whisper", "tiny.en", cpu_threads=threads)
    tts = PiperBackend()
    tts.load()
    for clip in audio:
        ended = time.perf_counter()
        stt.transcribe(clip, "en", 5)
        heard = time.perf_counter()
        tts.synthesize(REPLY_FIRST_SENTENCE)
        run.transcript_s.append(heard - ended)
        run.first_audio_s.append(time.perf_counter() - ended)
    return run


def row(label: str, run: Run, base: Run) -> str:
    t50, t95 = pct(run.transcript_s, 50), pct(run.transcript_s, 95)
    a50, a95 = pct(run.first_audio_s, 50), pct(run.first_audio_s, 95)
    b95 = pct(base.transcript_s, 95)
    return (
        f"| {label:<9} | {len(run.transcript_s):>5} | {t50:6.2f} | {t95:6.2f} | {a50:6.2f} | "
        f"{a95:6.2f} | {t95 / b95:5.2f}x | {run.errors:>3} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bears", default="1,2,4,8", help="fleet sizes to try")
    parser.add_argument("--turns", type=int, default=4, help="turns per bear")
    parser.add_argument("--interval", type=float, default=10.0, help="mean seconds between turns")
    parser.add_argument("--stt-threads", type=int, default=2, help="server and local STT threads")
    parser.add_argument(
        "--stt-servers", type=int, default=1, help="STT server processes (bear k uses k mod this)"
    )
    args = parser.parse_args()
    audio = clips()
    folder = Path(tempfile.mkdtemp(prefix="teddy-fleet-"))
    stt_servers = [
        WyomingServer("stt", folder, f"tcp://127.0.0.1:{free_port()}", args.stt_threads, f"stt{i}")
        for i in range(args.stt_servers)
    ]
    stt_uris = [server.uri for server in stt_servers]
    tts_server = WyomingServer("tts", folder, f"tcp://127.0.0.1:{free_port()}")
    try:
        tts_server.start()
        for server in stt_servers:
            server.start()
            # warm up (the first decode allocates buffers)
            asyncio.run(fleet(1, [server.uri], tts_server.uri, audio[:1], 1, 0.01))
        base = local_baseline(audio, args.stt_threads)
        print(
            f"data: {len(audio)} real recordings <= 7 s from tests/data/speech_real; "
            f"STT tiny.en int8 beam 5, {args.stt_servers} server(s) x {args.stt_threads} threads; "
            "TTS Piper joe medium"
        )
        print(
            f"turn interval {args.interval:g} s +-50 %, {args.turns} turns per bear; "
            "seconds from end of speech; ratio = p95 transcript vs local p95"
        )
        print("| bears     | turns | tr p50 | tr p95 | au p50 | au p95 | ratio  | err |")
        print("|-----------|-------|--------|--------|--------|--------|--------|-----|")
        print(row("local", base, base))
        best = 0
        for n in (int(x) for x in args.bears.split(",")):
            run = asyncio.run(fleet(n, stt_uris, tts_server.uri, audio, args.turns, args.interval))
            print(row(f"{n} fleet", run, base), flush=True)
            if run.transcript_s and pct(run.transcript_s, 95) <= TARGET_P95_S and not run.errors:
                best = n
        target = f"p95 end-of-speech -> transcript <= {TARGET_P95_S:g} s"
        print(f"largest N with {target}: {best or 'none'}")
        mean = statistics.fmean(base.transcript_s)
        print(f"local mean transcript {mean:.2f} s (a bear decoding on its own CPU)")
    finally:
        for server in stt_servers:
            server.stop()
        tts_server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
