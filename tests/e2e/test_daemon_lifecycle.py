"""The daemon as systemd and a maker see it, with no audio device: real process, real signals."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.harness import DaemonProcess, NotifySocket, free_port, http_get, wait_until

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, port: int, extra: str = "") -> Path:
    path = tmp_path / "teddy.toml"
    path.write_text(
        f'[history]\npath = "{tmp_path / "h.sqlite3"}"\n\n[health]\nport = {port}\n{extra}'
    )
    return path


def _no_audio_env(notify: NotifySocket) -> dict[str, str]:
    # No PulseAudio server to reach: the daemon must come up degraded, not die.
    return {
        "PULSE_SERVER": "unix:/nonexistent/pulse",
        "NOTIFY_SOCKET": str(notify.path),
        "ANTHROPIC_API_KEY": "",
    }


def test_without_a_microphone_it_is_up_degraded_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    with NotifySocket(tmp_path / "n.sock") as notify:
        args = ["run", "--config", str(_config(tmp_path, port))]
        with DaemonProcess(args, _no_audio_env(notify), tmp_path / "d.log") as d:
            wait_until(lambda: "READY=1" in notify.received(), 120, "READY=1", d)
            status, body = http_get(port, "/healthz")
            health = json.loads(body)
            assert status == 200 and health["status"] == "degraded", body
            assert health["checks"]["capture"]["state"] == "degraded"
            assert "device" in health["checks"]["capture"]["detail"]
            assert health["checks"]["llm"]["data"]["state"] == "offline"
            assert http_get(port, "/readyz")[0] == 503
            d.process.send_signal(signal.SIGTERM)
            assert d.process.wait(timeout=15) == 0, d.log_tail()
        assert "STOPPING=1" in notify.received()
        assert any(m.startswith("STATUS=") for m in notify.received())


def test_sighup_reloads_live_settings_and_names_what_needs_a_restart(tmp_path: Path) -> None:
    port = free_port()
    config = _config(tmp_path, port)
    with NotifySocket(tmp_path / "n.sock") as notify:
        args = ["run", "--config", str(config)]
        with DaemonProcess(args, _no_audio_env(notify), tmp_path / "d.log") as d:
            wait_until(lambda: "READY=1" in notify.received(), 120, "READY=1", d)
            config.write_text(
                config.read_text() + '\n[logging]\nlevel = "DEBUG"\n\n[stt]\nbeam_size = 3\n'
            )
            d.process.send_signal(signal.SIGHUP)
            wait_until(lambda: "RELOADING=1" in notify.received(), 20, "RELOADING=1", d)
            wait_until(lambda: "reload:" in d.log.read_text(), 20, "the reload summary", d)
            log = d.log.read_text()
            assert "logging.level" in log and "stt.beam_size" in log, d.log_tail()
            assert http_get(port, "/healthz")[0] == 200
            d.process.send_signal(signal.SIGTERM)
            assert d.process.wait(timeout=15) == 0, d.log_tail()


def test_a_second_signal_exits_at_once(tmp_path: Path) -> None:
    port = free_port()
    with NotifySocket(tmp_path / "n.sock") as notify:
        args = ["run", "--config", str(_config(tmp_path, port))]
        with DaemonProcess(args, _no_audio_env(notify), tmp_path / "d.log") as d:
            wait_until(lambda: "READY=1" in notify.received(), 120, "READY=1", d)
            d.process.send_signal(signal.SIGINT)
            d.process.send_signal(signal.SIGINT)
            started = time.monotonic()
            code = d.process.wait(timeout=15)
            assert code != 0 or time.monotonic() - started < 5


def test_a_bad_config_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[vad]\nsilence_ms = -5\n")
    with DaemonProcess(["run", "--config", str(bad)], {}, tmp_path / "d.log") as d:
        assert d.process.wait(timeout=60) == 2
    out = d.log.read_text()
    assert "vad.silence_ms" in out and "-5" in out, out
    assert "Traceback" not in out
