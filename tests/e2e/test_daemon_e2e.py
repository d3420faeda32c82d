"""End to end: the PulseAudio rig + a daemon subprocess + the local Messages-API server.

A child says "I am scared of the dark" into the virtual microphone. The daemon must record a history
row with the transcript, emotion fear, a streamed Claude reply, a parent alert and stage timings;
the reply must be audible on the virtual speaker; /metrics must parse; SIGTERM must end the daemon
with exit 0 within 10 s, READY=1 and STOPPING=1 having reached the NOTIFY_SOCKET.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from prometheus_client.parser import text_string_to_metric_families

from tests.daemon.hearing.speech import espeak
from tests.e2e.harness import (
    DaemonProcess,
    NotifySocket,
    free_port,
    http_get,
    running_api,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.audio]

REPLY = (
    "It is okay to feel scared of the dark. I am right here with you. "
    "Shall we count the stars on your night light together?"
)


@pytest.fixture(scope="module")
def api() -> Iterator[Any]:
    with running_api(REPLY) as server:
        yield server


def _interactions(db: Path) -> list[dict[str, Any]]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM interactions ORDER BY started_at")]


def _alerts(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM alerts")]


def test_scared_of_the_dark(audio_rig: Any, api: Any, tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "history.sqlite3"
    config = tmp_path / "teddy.toml"
    config.write_text(
        f"""
[llm]
base_url = "{api.base_url}"
timeout_s = 15.0

[history]
path = "{db}"

[health]
port = {port}
""".lstrip()
    )
    utterance = espeak("I am scared of the dark.", tmp_path / "child.wav")
    with NotifySocket(tmp_path / "notify.sock") as notify:
        env = {
            **audio_rig.env,
            "ANTHROPIC_API_KEY": "test-key",
            "NOTIFY_SOCKET": str(notify.path),
            "TEDDY_LOGGING__LEVEL": "INFO",
        }
        with DaemonProcess(["run", "--config", str(config)], env, tmp_path / "daemon.log") as d:
            wait_until(lambda: "READY=1" in notify.received(), 120, "READY=1", d)
            wait_until(lambda: http_get(port, "/readyz")[0] == 200, 30, "/readyz 200", d)

            recording = audio_rig.record_speaker(tmp_path / "bear.wav")
            time.sleep(0.5)
            audio_rig.play_into_mic(utterance)

            def finished() -> bool:
                rows = _interactions(db)
                return bool(rows) and rows[-1]["status"] in ("done", "failed", "rejected")

            wait_until(finished, 90, "the interaction to finish", d)
            time.sleep(1.0)  # the tail of the reply's audio into the recording
            bear = recording.stop()

            status, body = http_get(port, "/metrics")
            assert status == 200
            families = {f.name for f in text_string_to_metric_families(body)}
            assert any(name.startswith("teddy_") for name in families), families
            health_status, health = http_get(port, "/healthz")
            assert health_status == 200, health

            d.process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            code = d.process.wait(timeout=15)
            assert time.monotonic() - started <= 10.0
            assert code == 0, d.log_tail()
        messages = notify.received()

    assert "READY=1" in messages and "STOPPING=1" in messages, messages
    (row,) = _interactions(db)
    assert row["status"] == "done", row
    transcript = (row["transcript"] or "").lower()
    assert "scared" in transcript and "dark" in transcript, transcript
    assert row["emotion"] == "fear", row["emotion_scores"]
    assert not row["offline"], row["offline_reason"]
    assert row["reply"] and "night light" in row["reply"], row["reply"]
    timings = json.loads(row["timings"])
    for key in ("transcription_s", "emotion_s", "reply_s", "speech_s"):
        assert key in timings, timings
    assert timings["tts_first_audio_latency_s"] > 0, timings
    alerts = _alerts(db)
    assert alerts and alerts[0]["rule"] == "emotion:fear", alerts
    # one streamed reply; the memory step may ask once more (a forced tool call, not streamed)
    replies = [r for r in api.requests if r.json.get("stream")]
    assert len(replies) == 1, api.requests
    assert all(r.json.get("tools") for r in api.requests if not r.json.get("stream"))

    heard = _transcribe(bear)
    spoken_words = {w.strip(".,?!").lower() for w in REPLY.split()}
    overlap = len(spoken_words & set(heard.lower().replace(".", " ").split())) / len(spoken_words)
    assert overlap >= 0.6, heard


def _transcribe(path: Path) -> str:
    """The project's own STT, in a subprocess (keeps this process free of model threads)."""
    data, _ = sf.read(str(path), dtype="float32")
    assert np.sqrt(np.mean(np.square(data))) > 1e-3, "the speaker recording is silent"
    out = subprocess.run(
        [sys.executable, "-m", "daemon", "transcribe", "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return str(json.loads(out.stdout.splitlines()[0])["text"])
