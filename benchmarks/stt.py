"""STT benchmark: faster-whisper vs openai-whisper on the same weights and the same clips.

The openai-whisper checkpoint is exported from the bundled CT2 tiny.en, so both engines run the
same model; clips are synthesized (20 Piper + 20 espeak-ng en-us/en-gb). Each configuration runs
in its own process (a clean peak RSS, torch's thread setting isolated), once on a quiet machine
and once with one core kept busy by a spinning process. Prints WER, RTF, latency and memory, and
the ratios against openai-whisper measured in this same run. Latency is measured directly: the
wall time of transcribing one utterance of >= 3 s (a mixed subset of the clips, padded with
silence), p50 and p95. The quiet runs also transcribe all 40 clips for WER and RTF; the busy runs
only the subset. faster-whisper runs twice: with the default short encoder window and with
Whisper's 30 s one (the state before the window).

    .venv/bin/python benchmarks/stt.py [--clips N] [--beam 5] [--greedy] [--quiet-only]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
UTTERANCE_S = 3.0  # the latency target is stated for a 3 s utterance


def worker(config: dict[str, Any]) -> dict[str, Any]:
    """Runs in a child process: load one backend, transcribe every clip, report the numbers."""
    import numpy as np

    from processors.stt.guard import GuardConfig
    from processors.stt.stage import Transcriber
    from processors.stt.wer import wer
    from tests.processors.stt.clips import Clip

    def load(group: str) -> list[tuple[str, Any]]:
        return [
            (c["text"], Clip(c["name"], c["text"], Path(c["path"]), c["voice"]).audio())
            for c in config[group]
        ]

    clips, latency_clips = load("clips"), load("latency_clips")
    rss_before_mib = _rss_mib()
    started = time.perf_counter()
    stage = Transcriber(
        backend=config["backend"],
        cpu_threads=config["threads"],
        beam_size=config["beam"],
        cache_dir=Path(config["cache_dir"]),
        guard=GuardConfig(),
        encoder_window_s=config["window_s"],
    )
    stage.load_sync()
    load_s = time.perf_counter() - started
    stage.transcribe_array(latency_clips[0][1])  # warm-up: first-call allocations are not steady

    def timed(pairs: list[tuple[str, Any]], pad: bool) -> tuple[list[tuple[str, str]], list[float]]:
        texts, seconds = [], []
        for text, audio in pairs:
            if pad:
                audio = np.pad(audio, _pad_to(len(audio), UTTERANCE_S * 16_000))
            t0 = time.perf_counter()
            texts.append((text, stage.transcribe_array(audio)["text"]))
            seconds.append(time.perf_counter() - t0)
        return texts, seconds

    latency_pairs, latencies = timed(latency_clips, pad=True)
    # Without separate WER clips (the busy runs), WER and RTF come from the latency clips.
    pairs, seconds = timed(clips, pad=False) if clips else (latency_pairs, latencies)
    audio_s = sum(len(a) for _, a in clips) / 16_000 if clips else UTTERANCE_S * len(latencies)
    return {
        "wer": wer(pairs),
        "rtf": sum(seconds) / audio_s,
        "clips": len(pairs),
        "latency_p50_s": float(np.percentile(latencies, 50)),
        "latency_p95_s": float(np.percentile(latencies, 95)),
        "load_s": load_s,
        "peak_rss_mib": _peak_rss_mib(),
        "model_mib": _rss_mib() - rss_before_mib,
    }


def _peak_rss_mib() -> float:
    """This process's own high-water RSS (ru_maxrss would include the parent's at fork+exec)."""
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _pad_to(length: int, target: float) -> tuple[int, int]:
    """Silence on both sides that brings a clip up to ``target`` samples (never trims speech)."""
    missing = max(0, round(target) - length)
    return missing // 2, missing - missing // 2


def run_config(config: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed for {config['backend']}: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def prepare(workdir: Path, n_subset: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """All clips (20 Piper + 20 espeak-ng) and a subset mixing both voices for the busy runs."""
    from processors.stt.models import resolve_openai_checkpoint
    from tests.processors.stt.clips import make_clips

    clips = [
        {"name": c.name, "text": c.text, "path": str(c.path), "voice": c.voice}
        for c in make_clips(workdir / "clips", espeak=True)
    ]
    step = max(1, len(clips) // max(1, n_subset))
    resolve_openai_checkpoint("tiny.en", workdir / "cache")  # export once, outside the timings
    return clips, clips[::step][:n_subset]


def busy_core() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


# (backend, threads, encoder window s: 10 = the default short window, 0 = Whisper's 30 s)
ENGINES = (
    ("faster-whisper", 2, 10.0),
    ("faster-whisper", 2, 0.0),
    ("openai-whisper", 2, 0.0),
    ("openai-whisper", 1, 0.0),
)
Run = tuple[str, str, int, float, int, dict[str, Any]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=10, help="clips in the busy and latency runs")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--greedy", action="store_true", help="also run beam 1 (quiet only)")
    parser.add_argument("--quiet-only", action="store_true", help="skip the one-core-busy runs")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0

    with tempfile.TemporaryDirectory(prefix="teddy-stt-bench-") as tmp:
        workdir = Path(tmp)
        all_clips, subset = prepare(workdir, args.clips)
        cache = str(workdir / "cache")
        runs: list[Run] = []
        conditions = ("quiet",) if args.quiet_only else ("quiet", "one core busy")
        for condition in conditions:
            spinner = busy_core() if condition != "quiet" else None
            # Busy runs time the latency clips only: decoding is deterministic, WER is the same.
            clips = all_clips if spinner is None else []
            base = {"clips": clips, "latency_clips": subset, "cache_dir": cache}
            try:
                beams = [args.beam] + ([1] if args.greedy and spinner is None else [])
                for beam in beams:
                    for backend, threads, window_s in ENGINES:
                        config = {
                            **base,
                            "backend": backend,
                            "threads": threads,
                            "beam": beam,
                            "window_s": window_s,
                        }
                        load_before = os.getloadavg()[0]
                        result = run_config(config)
                        result["load_before"] = load_before
                        print(condition, backend, threads, window_s, beam, result, file=sys.stderr)
                        runs.append((condition, backend, threads, window_s, beam, result))
            finally:
                if spinner is not None:
                    spinner.kill()
                    spinner.wait()
        report(runs, len(subset))
    return 0


def _label(backend: str, window_s: float) -> str:
    if backend != "faster-whisper":
        return backend
    return f"{backend} {f'{window_s:g} s' if window_s else '30 s'}"


def report(runs: list[Run], n_latency: int) -> None:
    print("tiny.en: CT2 int8 for faster-whisper, the same weights exported fp32 for openai-whisper")
    print(
        f"latency: wall time per utterance, {n_latency} clips padded to >= {UTTERANCE_S:g} s, warm"
    )
    print("(faster-whisper 10 s = the default short encoder window; 30 s = Whisper's own;")
    print(" +MiB = resident memory added by loading the model and decoding, peak = whole process;")
    print(" load = the 1-min load average before the run: a quiet run needs ~0 (2 cores)")
    header = f"{'condition':14} {'clips':>5} {'backend':22} {'thr':>3} {'beam':>4} {'WER':>6}"
    print(
        header + f" {'RTF':>6} {'lat p50':>7} {'lat p95':>7} {'load s':>6} {'peak MiB':>8}"
        f" {'+MiB':>5} {'load':>5}"
    )
    for condition, backend, threads, window_s, beam, r in runs:
        print(
            f"{condition:14} {r['clips']:>5} {_label(backend, window_s):22} {threads:>3} {beam:>4}"
            f" {r['wer']:6.3f} {r['rtf']:6.3f} {r['latency_p50_s']:7.3f} {r['latency_p95_s']:7.3f}"
            f" {r['load_s']:6.2f} {r['peak_rss_mib']:8.0f} {r['model_mib']:5.0f}"
            f" {r['load_before']:5.2f}"
        )
    print("\nratios (openai-whisper / faster-whisper; > 1 means faster-whisper is better):")
    for condition in dict.fromkeys(r[0] for r in runs):
        for beam in dict.fromkeys(r[4] for r in runs if r[0] == condition):
            group = [r for r in runs if r[0] == condition and r[4] == beam]
            ows = [(r[2], r[5]) for r in group if r[1] == "openai-whisper"]
            best_threads, best = min(ows, key=lambda item: item[1]["rtf"])
            for fw_window, fw in ((r[3], r[5]) for r in group if r[1] == "faster-whisper"):
                parts = [f"RTF {t} thr {o['rtf'] / fw['rtf']:.2f}x" for t, o in ows]
                print(
                    f"  {condition}, beam {beam}, {_label('faster-whisper', fw_window)}: "
                    f"{', '.join(parts)}; best openai-whisper ({best_threads} thr): "
                    f"RTF {best['rtf'] / fw['rtf']:.2f}x, "
                    f"latency p50 {best['latency_p50_s'] / fw['latency_p50_s']:.2f}x, "
                    f"peak memory {best['peak_rss_mib'] / fw['peak_rss_mib']:.2f}x"
                )
    default = next(r[5] for r in runs if r[1] == "faster-whisper")
    print(
        f"\ndefault (faster-whisper, 10 s window, quiet): WER {default['wer']:.3f} "
        f"(target <= 0.08), latency per {UTTERANCE_S:g} s utterance p50 "
        f"{default['latency_p50_s']:.3f} s, p95 {default['latency_p95_s']:.3f} s "
        "(target <= 0.35 s)"
    )


if __name__ == "__main__":
    sys.exit(main())
