"""Quiet hours through the PulseAudio rig: a child speaks into the virtual microphone twice at
"03:30" (the test-only clock offset), the bear transcribes nothing, keeps no row, and the virtual
speaker hears the sleeping line exactly once."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from daemon.hearing.schedule import CLOCK_OFFSET_ENV
from tests.daemon.hearing.speech import espeak
from tests.e2e.harness import DaemonProcess, free_port, http_get, wait_until
from tests.e2e.test_daemon_e2e import _transcribe

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def _listening(port: int) -> dict[str, Any]:
    status, body = http_get(port, "/healthz")
    return dict(json.loads(body)["checks"].get("listening", {})) if status else {}


def _refused(port: int) -> int:
    return int(_listening(port).get("data", {}).get("refused", 0))


def test_the_sleeping_bear_says_so_once_and_keeps_nothing(audio_rig: Any, tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "h.sqlite3"
    config = tmp_path / "teddy.toml"
    config.write_text(
        f'[history]\npath = "{db}"\n\n[health]\nport = {port}\n\n'
        '[parental]\nquiet_hours = ["03:00-04:00"]\n'
        # Full duplex, the default: this rig's microphone does not hear the speaker at all. The
        # echo canceller once learnt noise as an echo there and added the bear's voice (ERLE -30
        # dB), and the line was paused six times (fresh-clone run, 2026-12-06); the sleeping line
        # now plays unpaused (asserted below), which checks echo/guard.py on a real device
    )
    now = dt.datetime.now(dt.UTC)
    offset = (now.replace(hour=3, minute=30, second=0, microsecond=0) - now).total_seconds()
    env = {
        **audio_rig.env,
        "TZ": "UTC",
        CLOCK_OFFSET_ENV: str(offset),
        "ANTHROPIC_API_KEY": "",
        "TEDDY_LOGGING__LEVEL": "INFO",
    }
    # One breath, no pause inside: "Teddy, are you awake? Can we play?" has a 435 ms gap at the
    # "?", past silence_ms, so the line could start on the first question and meet the second
    # (a barge-in stir; fresh-clone run, 2026-12-06), or not, as the rig's timing fell.
    child = espeak("Teddy are you awake can we play", tmp_path / "child.wav")
    with DaemonProcess(["run", "--config", str(config)], env, tmp_path / "d.log") as d:
        wait_until(lambda: http_get(port, "/readyz")[0] == 200, 180, "/readyz 200", d)
        assert _listening(port)["data"]["state"] == "sleeping"
        recording = audio_rig.record_speaker(tmp_path / "bear.wav")
        time.sleep(0.5)
        audio_rig.play_into_mic(child)
        wait_until(lambda: _refused(port) >= 1, 30, "the first refused utterance", d)
        wait_until(lambda: "parental: speaking the sleeping line" in d.log.read_text(), 10, "", d)
        # the line plays out (the VAD is gated while the bear speaks, and for the echo's tail)
        wait_until(lambda: "parental: the sleeping line was said" in d.log.read_text(), 30, "", d)
        time.sleep(0.5)
        audio_rig.play_into_mic(child)
        wait_until(lambda: _refused(port) >= 2, 30, "the second refused utterance", d)
        time.sleep(4.0)
        bear = recording.stop()
        check = _listening(port)
        d.process.send_signal(signal.SIGTERM)
        assert d.process.wait(timeout=20) == 0, d.log_tail()
    assert check["data"]["announced"] == {"sleeping": 1}, check
    log = d.log.read_text()
    assert log.count("parental: speaking the sleeping line") == 1
    assert "could not be said" not in log, log[-2000:]
    # nothing but the bear's own voice reached the microphone path while it spoke: no pause
    assert "barge-in dismissed" not in log and "spoke over the bear" not in log, log[-3000:]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM interactions").fetchone() == (0,)
    heard = _transcribe(bear).lower()
    assert "sleeping" in heard and heard.count("night") == 1, heard
