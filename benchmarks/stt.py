"""STT benchmark: faster-whisper vs openai-whisper on the same weights and the same clips.

The openai-whisper checkpoint is exported from the bundled CT2 tiny.en, so both engines run the
same model; clips are synthesized (20 Piper + 20 espeak-ng en-us/en-gb; the quiet runs use all,
the slower busy runs a mixed subset). Each configuration runs in
its own process (a clean peak RSS, torch's thread setting isolated), once on a quiet machine and
once with one core kept busy by a spinning process. Prints WER, RTF, latency and peak memory, and
the ratios against openai-whisper measured in this same run.

    .venv/bin/python benchmarks/stt.py [--clips N] [--beam 5] [--greedy]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def worker(config: dict[str, Any]) -> dict[str, Any]:
    """Runs in a child process: load one backend, transcribe every clip, report the numbers."""
    from processors.stt.guard import GuardConfig
    from processors.stt.wer import wer
    from processors.transcription import Transcriber
    from tests.stt.clips import Clip

    clips = [Clip(c["name"], c["text"], Path(c["path"]), c["voice"]) for c in config["clips"]]
    audios = [c.audio() for c in clips]
    started = time.perf_counter()
    stage = Transcriber(
        backend=config["backend"],
        cpu_threads=config["threads"],
        beam_size=config["beam"],
        cache_dir=Path(config["cache_dir"]),
        guard=GuardConfig(),
    )
    stage.load_sync()
    load_s = time.perf_counter() - started
    stage.transcribe_array(audios[0])  # warm-up: first-call allocations are not the steady state
    latencies, pairs = [], []
    for clip, audio in zip(clips, audios, strict=True):
        t0 = time.perf_counter()
        text = stage.transcribe_array(audio)["text"]
        latencies.append(time.perf_counter() - t0)
        pairs.append((clip.text, text))
    audio_s = sum(len(a) for a in audios) / 16_000
    return {
        "wer": wer(pairs),
        "rtf": sum(latencies) / audio_s,
        "latency_mean_s": sum(latencies) / len(latencies),
        "clip_mean_s": audio_s / len(audios),
        "load_s": load_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


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
    from tests.stt.clips import make_clips

    clips = [
        {"name": c.name, "text": c.text, "path": str(c.path), "voice": c.voice}
        for c in make_clips(workdir / "clips", espeak=True)
    ]
    step = max(1, len(clips) // max(1, n_subset))
    resolve_openai_checkpoint("tiny.en", workdir / "cache")  # export once, outside the timings
    return clips, clips[::step][:n_subset]


def busy_core() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=12, help="clips in the one-core-busy runs")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--greedy", action="store_true", help="also run beam 1 (quiet only)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0

    with tempfile.TemporaryDirectory(prefix="teddy-stt-bench-") as tmp:
        workdir = Path(tmp)
        all_clips, subset = prepare(workdir, args.clips)
        cache = str(workdir / "cache")
        engines = [("faster-whisper", 2), ("openai-whisper", 2), ("openai-whisper", 1)]
        runs: list[tuple[str, str, int, int, dict[str, Any]]] = []
        for condition in ("quiet", "one core busy"):
            spinner = busy_core() if condition != "quiet" else None
            clips = all_clips if spinner is None else subset
            base = {"clips": clips, "cache_dir": cache}
            try:
                beams = [args.beam] + ([1] if args.greedy and spinner is None else [])
                for beam in beams:
                    for backend, threads in engines:
                        config = {**base, "backend": backend, "threads": threads, "beam": beam}
                        result = run_config(config)
                        result["clips"] = len(clips)
                        print(condition, backend, threads, beam, result, file=sys.stderr)
                        runs.append((condition, backend, threads, beam, result))
            finally:
                if spinner is not None:
                    spinner.kill()
                    spinner.wait()
        report(runs)
    return 0


def report(runs: list[tuple[str, str, int, int, dict[str, Any]]]) -> None:
    print("tiny.en: CT2 int8 for faster-whisper, the same weights exported fp32 for openai-whisper")
    header = f"{'condition':14} {'clips':>5} {'backend':15} {'thr':>3} {'beam':>4} {'WER':>6}"
    print(header + f" {'RTF':>6} {'lat/3s':>7} {'load s':>6} {'peak MiB':>8}")
    for condition, backend, threads, beam, r in runs:
        print(
            f"{condition:14} {r['clips']:>5} {backend:15} {threads:>3} {beam:>4} {r['wer']:6.3f}"
            f" {r['rtf']:6.3f} {r['rtf'] * 3:7.3f} {r['load_s']:6.2f} {r['peak_rss_mib']:8.0f}"
        )
    print("\nratios (openai-whisper / faster-whisper; > 1 means faster-whisper is better):")
    for condition in dict.fromkeys(r[0] for r in runs):
        for beam in dict.fromkeys(r[3] for r in runs if r[0] == condition):
            group = [r for r in runs if r[0] == condition and r[3] == beam]
            fw = next(r[4] for r in group if r[1] == "faster-whisper")
            ows = [(r[2], r[4]) for r in group if r[1] == "openai-whisper"]
            best_threads, best = min(ows, key=lambda item: item[1]["rtf"])
            parts = [f"RTF {t} thr {o['rtf'] / fw['rtf']:.2f}x" for t, o in ows]
            print(
                f"  {condition}, beam {beam}: {', '.join(parts)}; best openai-whisper "
                f"({best_threads} thr) {best['rtf'] / fw['rtf']:.2f}x; "
                f"peak memory {best['peak_rss_mib'] / fw['peak_rss_mib']:.2f}x"
            )
    default = next(r[4] for r in runs if r[1] == "faster-whisper")
    print(
        f"\ndefault (faster-whisper, quiet): WER {default['wer']:.3f} (target <= 0.08), "
        f"latency per 3 s utterance {default['rtf'] * 3:.3f} s (target <= 0.35 s)"
    )


if __name__ == "__main__":
    sys.exit(main())
