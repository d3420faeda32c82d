"""CPU guard: what listening to silence costs (capture + Silero VAD endpointing).

Starts a private PulseAudio rig (tests/audio_rig.py), captures its silent virtual mic through
PortAudio for ``--seconds`` (default 60) with the endpointer running, and prints this process's CPU
time as a percentage of one core. Baseline measured in the same run: an idle asyncio loop for the
same process over a shorter span. Target: listening ≤ 2 % of one core.

    .venv/bin/python benchmarks/capture_idle.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.hearing import AudioFrame, MicrophoneSource
from daemon.hearing.endpointing import Endpointer, listen
from daemon.hearing.vad import load_vad
from tests.audio_rig import AudioRig


async def cpu_percent(seconds: float) -> float:
    wall, cpu = time.monotonic(), time.process_time()
    await asyncio.sleep(seconds)
    return 100.0 * (time.process_time() - cpu) / (time.monotonic() - wall)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--vad", default="silero", choices=["silero", "energy"])
    args = parser.parse_args()
    if shutil.which("pulseaudio") is None:
        sys.exit("needs pulseaudio (Debian: pulseaudio pulseaudio-utils)")
    baseline = await cpu_percent(min(10.0, args.seconds / 4))

    rig = AudioRig(workdir=Path(tempfile.mkdtemp(prefix="teddy-bench-")))
    rig.start_server()
    os.environ["PULSE_SERVER"] = rig.server
    try:
        source = MicrophoneSource(None)
        endpointer = Endpointer(load_vad(args.vad))
        events = 0
        flowing = asyncio.Event()

        class Tap:
            async def frames(self) -> AsyncIterator[AudioFrame]:
                async for frame in source.frames():
                    flowing.set()
                    yield frame

        async def consume() -> None:
            nonlocal events
            async for _ in listen(Tap(), endpointer):
                events += 1

        task = asyncio.create_task(consume())
        # Warm-up excluded: a new PulseAudio stream's first block can take ~2 s (PortAudio spins).
        await asyncio.wait_for(flowing.wait(), 15)
        await asyncio.sleep(1.0)
        listening = await cpu_percent(args.seconds)
        source.close()
        await asyncio.wait_for(task, 10)
        print(f"idle loop (baseline): {baseline:.2f} % of one core")
        print(
            f"listening to silence for {args.seconds:.0f} s ({endpointer.vad.name} VAD): "
            f"{listening:.2f} % of one core  "
            f"(ratio to baseline {listening / max(baseline, 0.01):.1f}x; "
            f"target <= 2 %: {'ok' if listening <= 2.0 else 'MISSED'})"
        )
        print(
            f"events={events} overflows={source.state.overflows} restarts={source.state.restarts}"
        )
    finally:
        rig.close()
        shutil.rmtree(rig.workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
