"""Barge-in on the PulseAudio rig: the daemon in-process, its own voice leaking into its microphone.

Topology added to the session rig (and removed again by :meth:`BargeInRig.close`)::

    the bear -> [speaker] -> speaker.monitor --module-loopback (echo_db)--> [mic_in] -> mic
    the child -> [combine sink "child", one channel: front-right] -> mic_in and speaker

The child is heard by the daemon (mixed into its mono capture) and lands on the right channel of
``speaker.monitor`` only, so one stereo recording of the speaker measures everything on one clock:
left = the bear alone, right - left = the child. Used by ``test_barge_in_rig.py`` and
``benchmarks/barge_in.py``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from tests.daemon.hearing.speech import load, voiced_bounds

RATE = 16_000
WIN = RATE // 100  # 10 ms analysis windows
LOUD_DB = -45.0
STORY = (
    "Once upon a time, a little dragon lived in a cave on a tall green hill. "
    "Every morning he flew over the village and sang a happy song. "
    "One sunny day a girl called Mia waved back and asked him down for tea. "
    "The dragon was very shy, but he landed softly in the meadow. "
    "Mia poured the tea into a tiny cup with blue flowers on it. "
    "The dragon sipped it slowly and smiled a big toothy smile. "
    "They talked about clouds and stars until the sun went down. "
    "And from that day on, they met for tea every single week."
)
CHILD_TEXT = "Stop teddy, stop! I want to ask something else."
# espeak-ng pauses 0.48 s at the "!", longer than vad.silence_ms, which would split the turn in
# two; a comma (the same words) keeps it one utterance, as a child saying it in one breath
CHILD_SPOKEN = "Stop teddy, stop, I want to ask something else."
ANSWER = "Of course! What would you like to ask me?"
#: When the child starts talking, after the bear started: in the middle of the story's first
#: sentence (espeak-ng says it in ~4.6 s). At 4.3 s the child's first sound met that sentence's
#: end, and the bear was "silent within 0.3 s" without being stopped at all.
CHILD_AFTER_S = 3.0


@dataclass
class Trial:
    child_onset_s: float | None  # in the recording (right - left loud), None if no child
    bear_stop_s: float | None  # last loud sample of the bear before it went quiet
    reaction_s: float | None  # bear stop - child onset
    barge_ins: int
    recording: Path
    echo: dict[str, Any] | None = None  # the canceller's stats after the trial
    # the bear was loud in the 0.2 s before the child's first sound and in the 0.1 s after: it
    # was mid-speech, not ending a sentence (where a "stop" within 0.3 s proves nothing)
    talking_at_onset: bool | None = None


class BargeInRig:
    def __init__(self, rig: Any, workdir: Path, *, echo_db: float, tts: str = "espeak-ng"):
        self.rig, self.workdir, self.echo_db, self.tts = rig, workdir, echo_db, tts
        self.modules: list[str] = []
        self.daemon: Any = None
        self.api: Any = None

    # -- topology ------------------------------------------------------------------------------
    def wire(self) -> None:
        pactl = self.rig.pactl
        self.modules.append(
            pactl(
                "load-module",
                "module-combine-sink",
                "sink_name=child",
                "slaves=mic_in,speaker",
                "channels=1",
                "channel_map=front-right",
                "remix=no",
                "adjust_time=0",
            ).strip()
        )
        loop = pactl(
            "load-module",
            "module-loopback",
            "source=speaker.monitor",
            "sink=mic_in",
            "latency_msec=20",
            "adjust_time=0",  # a fixed echo path: no rate adjustments while it runs
            "source_dont_move=true",
            "sink_dont_move=true",
            "remix=no",
        ).strip()
        self.modules.append(loop)
        self.set_echo(self.echo_db)

    def set_echo(self, echo_db: float) -> None:
        """The echo's level: the volume of the loopback's own sink input."""
        self.echo_db = echo_db
        for line in self.rig.pactl("list", "short", "sink-inputs").splitlines():
            fields = line.split("\t")
            if len(fields) > 3 and fields[3] == "module-loopback.c":
                self.rig.pactl("set-sink-input-volume", fields[0], f"{echo_db:g}dB")
                return
        raise RuntimeError("audio rig: the echo loopback has no sink input")

    # -- the daemon ----------------------------------------------------------------------------
    async def start(self, barge_in: bool = True) -> None:
        from daemon.app import Daemon
        from daemon.config import TeddyConfig
        from tests.fake_messages_api import FakeMessagesAPI

        self.api = FakeMessagesAPI()
        self.api.reply(STORY)
        await self.api.start()
        os.environ["ANTHROPIC_API_KEY"] = "rig-key"
        config = TeddyConfig.model_validate(
            {
                "audio": {"barge_in": barge_in},
                "llm": {"base_url": self.api.base_url},
                "tts": {"backend": self.tts},
                "history": {"path": str(self.workdir / "history.sqlite3")},
                # memory's fact extraction is one more request to the fake API, which would
                # take the story's scripted reply: these trials script every reply in order
                "memory": {"enabled": False},
            }
        )
        self.daemon = Daemon(config, listen=True, serve_http=False)
        await self.daemon.start()

    async def stop(self) -> None:
        if self.daemon is not None:
            await self.daemon.stop()
        if self.api is not None:
            await self.api.stop()

    def close(self) -> None:
        for module in reversed(self.modules):
            self.rig.pactl("unload-module", module)
        self.modules.clear()

    # -- trials --------------------------------------------------------------------------------
    def child_clip(self) -> Path:
        path = self.workdir / "child.wav"
        if not path.exists():
            raw = self.workdir / "child-raw.wav"
            # a higher (child-like) espeak-ng voice; tiny.en hears it right when the bear is silent
            subprocess.run(
                ["espeak-ng", "-v", "en-us+f3", "-s", "140", "-w", str(raw), CHILD_SPOKEN],
                check=True,
                timeout=30,
            )
            audio = load(raw)
            lead = np.zeros(RATE // 4, np.float32)
            sf.write(path, np.concatenate([lead, audio * 1.6]), RATE)  # one channel of two: +4 dB
        return path

    async def story(self, *, child_after_s: float | None, name: str) -> Trial:
        """The bear tells the story (asked by text); the child may talk over it."""
        assert self.daemon is not None and self.daemon.listener is not None
        listener, speaker = self.daemon.listener, self.daemon.stages.speaker
        before = listener.barge_ins
        recording = self.rig.record_speaker(self.workdir / f"{name}.wav", channels=2)
        await asyncio.sleep(0.3)
        asked = asyncio.create_task(
            self.daemon.pipeline.run_interaction(text="Tell me a dragon story.")
        )
        try:
            await _until(lambda: speaker.speaking, 30.0)
            if child_after_s is not None:
                await asyncio.sleep(child_after_s)
                await asyncio.to_thread(self._play_child)
                await _until(lambda: self.daemon.intake.pending == 0 and not speaker.speaking, 30.0)
                await asyncio.sleep(0.5)
                await _until(lambda: not speaker.speaking, 30.0)
            await asyncio.wait_for(asked, 120.0)
            await asyncio.sleep(0.3)
        finally:
            recording.stop()
        trial = measure(
            recording.path, listener.barge_ins - before, child=child_after_s is not None
        )
        trial.echo = listener.echo.stats.snapshot() if listener.echo is not None else None
        return trial

    def _play_child(self) -> None:
        subprocess.run(
            ["paplay", "--device=child", str(self.child_clip())], env=self.rig.env, check=True
        )


async def _until(predicate: Any, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and not predicate():  # noqa: ASYNC110 (a poll)
        await asyncio.sleep(0.01)


def _loud(x: np.ndarray) -> np.ndarray:
    n = x.size // WIN
    power = np.mean(x[: n * WIN].reshape(n, WIN) ** 2, axis=1)
    return 10 * np.log10(np.maximum(power, 1e-12)) > LOUD_DB


def measure(path: Path, barge_ins: int, *, child: bool) -> Trial:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    assert rate == RATE and audio.shape[1] == 2
    bear = _loud(audio[:, 0])
    kid = _loud(audio[:, 1] - audio[:, 0])
    onset = stop = talking = None
    if child:
        first = np.flatnonzero(kid)
        if first.size:
            onset = int(first[0])
            talking = bool(
                bear[max(0, onset - 20) : onset].any() and bear[onset : onset + 10].any()
            )
            # the bear is stopped where it falls silent for 0.5 s after the child began
            i, quiet = onset, 0
            while i < bear.size and quiet < 50:
                quiet = 0 if bear[i] else quiet + 1
                i += 1
            stop = i - quiet
    to_s = WIN / RATE
    return Trial(
        onset * to_s if onset is not None else None,
        stop * to_s if stop is not None else None,
        (stop - onset) * to_s if onset is not None and stop is not None else None,
        barge_ins,
        path,
        talking_at_onset=talking,
    )


def child_onset_in_clip(clip: Path) -> float:
    return voiced_bounds(load(clip))[0]
