"""What to expect on one core: teddy's key measurements pinned to CPU 0 (`taskset -c 0`), a
stand-in for a slow board (issue 17). Prints a markdown table for the README.

Each measurement runs in its own subprocess under ``taskset -c 0`` (its children inherit it):

* endpoint -> first audio: ``benchmarks/e2e_latency.py --n N --paused 0`` as is (the PulseAudio
  rig, the daemon in-process with the fake Messages API, espeak-ng clips, hibari TTS, the default
  tiny.en beam 5 / cpu_threads 2); its "perceived" p50/p95 and the daemon's speech_ended ->
  tts_first_audio p50. The rig's PulseAudio shares the core, as it would on a board.
* STT per 3 s utterance: teddy's Transcriber (tiny.en int8, default guards) on a 3 s espeak-ng
  utterance, warm, median of 5, for beam 5 / beam 1, cpu_threads 2 / 1 and the encoder on the
  full 30 s window (the default) or on 10 s (`stt.encoder_window_s = 10`): its CPU seconds
  (what an uncontended core needs; robust to other load on CPU 0) and its wall time.
* RSS at ready and idle CPU: ``teddy run --input replay:FOLDER`` (30 s of silence, real time), RSS
  when /readyz answers 200, then its CPU over 15 s of silence, as % of one core.

Perceived latency for the other STT settings is estimated as the measured e2e p50 minus the STT
time saved (the other stages do not depend on beam or threads); the table says which are estimates.

    .venv/bin/python benchmarks/one_core.py [--n 6] [--skip-e2e]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PIN = ["taskset", "-c", "0"]
BUDGET_S = 1.2  # perceived latency the bear must keep
STT_CONFIGS = [
    {"beam_size": 5, "cpu_threads": 2},
    {"beam_size": 5, "cpu_threads": 1},
    {"beam_size": 1, "cpu_threads": 2},
    {"beam_size": 1, "cpu_threads": 1},
    {"beam_size": 5, "cpu_threads": 1, "encoder_window_s": 10},
    {"beam_size": 1, "cpu_threads": 1, "encoder_window_s": 10},
]


def pinned(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **kw.pop("env", {})}
    return subprocess.run(
        [*PIN, *cmd], capture_output=True, text=True, env=env, cwd=ROOT, check=False, **kw
    )


def stt_worker(config: dict[str, Any]) -> dict[str, Any]:
    """In the pinned subprocess: load, warm up, time 5 transcriptions of a 3 s utterance."""
    import numpy as np

    from processors.stt.stage import Transcriber
    from tests.daemon.hearing.speech import espeak, load

    with tempfile.TemporaryDirectory() as tmp:
        audio = load(espeak("Can you tell me a story about a dragon?", Path(tmp) / "u.wav"))
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)[: 3 * 16_000]
    audio = np.pad(audio, (0, max(0, 3 * 16_000 - audio.size)))
    started = time.perf_counter()
    transcriber = Transcriber.from_config({"model": "tiny.en", **config})
    transcriber.load_sync()
    load_s = time.perf_counter() - started
    text = transcriber.transcribe_array(audio).text
    times, cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        transcriber.transcribe_array(audio)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {
        "load_s": load_s,
        "median_s": statistics.median(times),
        "cpu_s": statistics.median(cpu),
        "text": text,
    }


def measure_stt() -> list[dict[str, Any]]:
    rows = []
    for config in STT_CONFIGS:
        proc = pinned(
            [sys.executable, __file__, "--stt-worker", json.dumps(config)],
            timeout=600,
            env={"OMP_NUM_THREADS": str(config["cpu_threads"])},
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            rows.append({**config, "error": proc.stderr.strip().splitlines()[-1:]})
        else:
            rows.append({**config, **json.loads(lines[-1])})
    return rows


def measure_e2e(n: int) -> dict[str, float]:
    proc = pinned(
        [sys.executable, "benchmarks/e2e_latency.py", "--n", str(n), "--paused", "0"], timeout=1200
    )
    out = proc.stdout
    result: dict[str, float] = {}
    if m := re.search(r"perceived .*?p50 ([\d.]+) s\s+p95 ([\d.]+) s", out):
        result["perceived_p50"], result["perceived_p95"] = float(m[1]), float(m[2])
    if m := re.search(r"speech_ended -> tts_first_audio\s+p50 ([\d.]+) s\s+p95 ([\d.]+) s", out):
        result["handover_p50"], result["handover_p95"] = float(m[1]), float(m[2])
    if m := re.search(r"speech_ended -> stt_done\s+p50 ([\d.]+) s", out):
        result["stt_done_p50"] = float(m[1])
    if not result:
        print(out[-2000:], proc.stderr[-2000:], file=sys.stderr)
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            return int(r.status) == 200
    except OSError:
        return False


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _wait_for_reply(db: Path, deadline_s: float) -> bool:
    import sqlite3

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                rows = conn.execute(
                    "SELECT count(*) FROM interactions WHERE reply != ''"
                ).fetchone()
            if rows[0]:
                return True
        except sqlite3.Error:
            pass  # not created yet
        time.sleep(0.5)
    return False


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_daemon(
    idle_s: float = 15.0, speech: Path | None = None, mic_env: dict[str, str] | None = None
) -> dict[str, float]:
    """Start ``teddy run`` on a replay of silence; RSS at ready and after ``idle_s`` of it.
    With ``speech`` (a 16 kHz WAV) the replay says it after 3 s of silence, and RSS is read again
    once its interaction is in the history (``rss_reply_mib``: what a day of talk keeps). With
    ``mic_env`` (a PulseAudio rig's environment) it listens to the default microphone instead,
    as a bear does (``speech`` is then not said)."""
    import numpy as np
    import soundfile as sf

    tmp = Path(tempfile.mkdtemp(prefix="teddy-one-core-"))
    try:
        (tmp / "replay").mkdir()
        quiet = np.zeros(16_000 * (3 if speech else 60), np.float32)
        sf.write(tmp / "replay" / "a_silence.wav", quiet, 16_000)
        if speech is not None:
            voice, rate = sf.read(speech, dtype="float32")
            sf.write(tmp / "replay" / "b_speech.wav", voice, rate)
            sf.write(tmp / "replay" / "c_silence.wav", np.zeros(16_000 * 60, np.float32), 16_000)
        port = _free_port()
        config = tmp / "teddy.toml"
        config.write_text(
            f'[history]\npath = "{tmp / "h.sqlite3"}"\n\n[health]\nport = {port}\n',
            encoding="utf-8",
        )
        teddy = str(Path(sys.executable).parent / "teddy")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", **(mic_env or {})}
        env.pop("ANTHROPIC_API_KEY", None)
        source = [] if mic_env else ["--input", f"replay:{tmp / 'replay'}"]
        log = (tmp / "daemon.log").open("w")
        started = time.monotonic()
        proc = subprocess.Popen(
            [*PIN, teddy, "run", "--config", str(config), *source],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp,
        )
        try:
            while not _ready(port):
                if proc.poll() is not None or time.monotonic() - started > 180:
                    return {}
                time.sleep(0.2)
            result = {"ready_s": time.monotonic() - started, "rss_mib": _rss_mib(proc.pid)}
            time.sleep(2.0)
            ticks, t0 = _cpu_ticks(proc.pid), time.monotonic()
            time.sleep(idle_s)
            used = (_cpu_ticks(proc.pid) - ticks) / os.sysconf("SC_CLK_TCK")
            result["idle_cpu_pct"] = 100 * used / (time.monotonic() - t0)
            result["rss_idle_mib"] = _rss_mib(proc.pid)
            if (
                speech is not None
                and not mic_env
                and _wait_for_reply(tmp / "h.sqlite3", deadline_s=120)
            ):
                time.sleep(3.0)  # the reply is said (or its output failed) by now
                result["rss_reply_mib"] = _rss_mib(proc.pid)
            return result
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def table(stt: list[dict[str, Any]], e2e: dict[str, float], daemon: dict[str, float]) -> str:
    base = stt[0] if stt else None  # STT_CONFIGS[0]: the defaults the e2e run uses
    lines = [
        "| setting (tiny.en int8) | STT per 3 s utterance: CPU (wall) "
        f"| endpoint → first audio (p50) | ≤ {BUDGET_S} s? |",
        "|---|---|---|---|",
    ]
    for row in stt:
        name = f"beam {row['beam_size']}, cpu_threads {row['cpu_threads']}"
        name += f", encoder window {row['encoder_window_s']} s" if "encoder_window_s" in row else ""
        if "median_s" not in row:
            lines.append(f"| {name} | error: {row.get('error')} | | |")
            continue
        stt_s = float(row["cpu_s"])
        if not e2e.get("perceived_p50") or base is None or "median_s" not in base:
            perceived, note = float("nan"), "n/a"
        elif row is base:
            perceived = e2e["perceived_p50"]
            note = f"{perceived:.2f} s measured (p95 {e2e.get('perceived_p95', float('nan')):.2f})"
        else:
            perceived = e2e["perceived_p50"] - (float(base["cpu_s"]) - stt_s)
            note = f"≈ {perceived:.2f} s (estimate)"
        verdict = "yes" if perceived <= BUDGET_S else ("no" if perceived == perceived else "?")
        wall = float(row["median_s"])
        lines.append(f"| {name} | {stt_s:.2f} s ({wall:.2f} s) | {note} | {verdict} |")
    lines.append("")
    lines.append("| daemon (defaults, `--input replay:`) | value |")
    lines.append("|---|---|")
    if daemon:
        lines.append(f"| start → /readyz 200 | {daemon['ready_s']:.1f} s |")
        lines.append(f"| RSS at ready | {daemon['rss_mib']:.0f} MiB |")
        lines.append(f"| RSS after 15 s idle | {daemon['rss_idle_mib']:.0f} MiB |")
        lines.append(
            f"| idle CPU (listening to silence) | {daemon['idle_cpu_pct']:.1f} % of one core |"
        )
    else:
        lines.append("| daemon | did not become ready |")
    if e2e.get("handover_p50"):
        lines.append(
            f"| speech_ended → tts_first_audio (daemon, p50) | {e2e['handover_p50']:.2f} s |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6, help="clips for the end-to-end measurement")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--stt-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stt_worker:
        print(json.dumps(stt_worker(json.loads(args.stt_worker))))
        return 0
    if shutil.which("taskset") is None:
        print("taskset (util-linux) is needed", file=sys.stderr)
        return 1
    started = time.perf_counter()
    stt = measure_stt()
    daemon = measure_daemon()
    e2e = {} if args.skip_e2e else measure_e2e(args.n)
    print(f"## What to expect on one core (taskset -c 0, {os.uname().machine})\n")
    print(table(stt, e2e, daemon))
    load1, load5, _ = os.getloadavg()
    print(
        f"\n(measured in {time.perf_counter() - started:.0f} s on a {os.cpu_count()}-CPU machine "
        f"with load average {load1:.1f} / {load5:.1f}: other work on CPU 0 inflates these "
        f"numbers; STT transcript: {stt[0].get('text', '')!r})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
