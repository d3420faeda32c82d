"""What each part of teddy costs in resident memory (issue 11, point 6).

Each part is imported/loaded in a fresh interpreter (``python -c``) that then reads its own VmRSS
from /proc/self/status; the table subtracts a bare interpreter measured in the same run, so a row
is "this part on its own, over python". Parts share libraries (numpy, onnxruntime), so rows do not
add up to the daemon's total; ``--sequence`` loads the daemon's parts one after another in one
interpreter, in the daemon's order, and prints what each adds (rows that do add up);
``--daemon`` also starts ``teddy run --input replay:`` (silence) as
benchmarks/one_core.py does, unpinned, and prints its RSS when /readyz answers 200 (``--mic``:
on a PulseAudio rig's microphone instead, the capture path a bear runs).

    .venv/bin/python benchmarks/memory_at_ready.py [--daemon [--tree DIR] [--speech WAV]]
        [--mic] [--env NAME=VALUE] [--sequence]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Defined in each child: its own resident memory in MiB.
RSS_FUNCTION = (
    "\ndef _rss():\n    for _l in open('/proc/self/status'):\n"
    "        if _l.startswith('VmRSS:'): return int(_l.split()[1]) / 1024\n"
)
TRIM = "import ctypes; ctypes.CDLL('libc.so.6').malloc_trim(0)"
PARTS: dict[str, str] = {
    "python (baseline)": "pass",
    "numpy": "import numpy",
    "scipy.fft (no longer at ready: hibari and the pitch tracker use numpy's)": "import scipy.fft",
    "scipy.signal (the enhancement stage: not at ready by default)": "import scipy.signal",
    "soxr (resampling)": "import soxr",
    "av (PyAV: faster-whisper imports it; teddy defers it to a file decode)": "import av",
    "onnxruntime (import)": "import onnxruntime",
    "STT: faster-whisper tiny.en int8 (loaded)": (
        "from processors.stt.stage import Transcriber\n"
        "t = Transcriber.from_config({'model': 'tiny.en'}); t.load_sync()"
    ),
    "VAD: Silero onnxruntime session": (
        "from daemon.hearing.vad.silero import SileroVad\nSileroVad()"
    ),
    "wordllama embedding (numpy + tokenizers)": (
        "from processors.embedding import load_wordllama\nload_wordllama()"
    ),
    "emotion stage (loaded, incl. embedding)": (
        "from processors.emotion.stage import create_default\ncreate_default().load_sync()"
    ),
    "safety classifier (loaded: n-grams and the sentence encoder)": (
        "from processors.reply.safety import shared_classifier\nshared_classifier().available"
    ),
    "hibari G2P tables as hibari loads them (dicts; after malloc_trim)": (
        "from hibari.g2p import G2P\ng = G2P()\n" + TRIM
    ),
    "hibari G2P tables packed, as teddy loads them (after malloc_trim)": (
        "from hibari.g2p import G2P\n"
        "from processors.speech.tts.hibari_lexicon import pack_lexicon\n"
        "from processors.speech.tts.hibari_tagger import pack_tagger\n"
        "g = G2P(); pack_tagger(g); pack_lexicon(g)\n" + TRIM
    ),
    "TTS: hibari (loaded + warm-up)": (
        "from processors.speech.tts.hibari import HibariBackend\nHibariBackend().load()"
    ),
    "anthropic SDK (import)": "import anthropic",
    "apprise (import)": "import apprise",
    "jinja2 (import)": "import jinja2",
    "aiohttp (import)": "import aiohttp",
    "daemon.app (import, nothing loaded)": "import daemon.app",
}

# The daemon's parts in the order it loads them, in one interpreter: what each one adds.
SEQUENCE: dict[str, str] = {
    "glibc malloc and MKL set as `teddy run` sets them (daemon/ops/malloc.py)": (
        "from daemon.ops import malloc\nmalloc.limit_arenas(); malloc.fix_mmap_threshold()\n"
        "malloc.no_mkl_buffer_cache()"
    ),
    "daemon.app (imports: aiohttp, pydantic, numpy, ...)": "import daemon.app",
    "onnxruntime": "import onnxruntime",
    "VAD: Silero session": "from daemon.hearing.vad.silero import SileroVad\n_v = SileroVad()",
    "TTS: hibari (loaded + warm-up; first of the stages)": (
        "from processors.speech.tts.hibari import HibariBackend\n_h = HibariBackend(); _h.load()"
    ),
    "STT: tiny.en loaded (CTranslate2, tokenizer; PyAV deferred)": (
        "from processors.stt.stage import Transcriber\n"
        "_t = Transcriber.from_config({'model': 'tiny.en'}); _t.load_sync()"
    ),
    "emotion stage (embedding, tokenizer, models)": (
        "from processors.emotion.stage import create_default\n_e = create_default(); _e.load_sync()"
    ),
    "safety classifier (n-grams + sentence encoder)": (
        "from processors.reply.safety import shared_classifier\nshared_classifier().available"
    ),
    "heap trimmed, as at ready": "malloc.relax_mmap_threshold(); malloc.trim()",
}


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter, in this checkout, offline."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        check=False,
    )


def measure_sequence(env: dict[str, str]) -> None:
    code = RSS_FUNCTION + "_last = _rss()\n"
    for i, part in enumerate(SEQUENCE.values()):
        code += f"{part}\n_now = _rss(); print('STEP', {i}, _now - _last, _now); _last = _now\n"
    proc = _python(code, env)
    steps = [line.split() for line in proc.stdout.splitlines() if line.startswith("STEP ")]
    if len(steps) != len(SEQUENCE):
        print(proc.stderr[-1500:], file=sys.stderr)
    print("| part, loaded after the rows above (one interpreter) | adds | total |")
    print("|---|---|---|")
    for name, (_, _, added, total) in zip(SEQUENCE, steps, strict=False):
        print(f"| {name} | {float(added):+.0f} MiB | {float(total):.0f} MiB |")


def measure(code: str, env: dict[str, str]) -> float:
    proc = _python(code + RSS_FUNCTION + "print('RSS', _rss())\n", env)
    for line in proc.stdout.splitlines():
        if line.startswith("RSS "):
            return float(line.split()[1])
    print(proc.stderr[-1500:], file=sys.stderr)
    return float("nan")


@contextlib.contextmanager
def _microphone(wanted: bool) -> Iterator[dict[str, str] | None]:
    """A PulseAudio rig (tests/audio_rig.py) whose default source the daemon captures, as a
    bear's microphone: the replay's file buffers are not what a bear holds."""
    if not wanted:
        yield None
        return
    sys.path.insert(0, str(ROOT))
    from tests.audio_rig import AudioRig

    with tempfile.TemporaryDirectory(prefix="teddy-memory-rig-") as tmp:
        rig = AudioRig(workdir=Path(tmp))
        rig.start_server()
        try:
            yield rig.env
        finally:
            rig.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--daemon", action="store_true", help="also measure teddy run at ready")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for every child")
    parser.add_argument("--tree", type=Path, help="with --daemon: run teddy from this checkout")
    parser.add_argument(
        "--speech",
        type=Path,
        help="with --daemon: a WAV the replay says after 3 s; RSS is also read after its reply",
    )
    parser.add_argument(
        "--mic", action="store_true", help="with --daemon: listen to a PulseAudio rig's microphone"
    )
    parser.add_argument("--only", help="measure only parts whose name contains this")
    parser.add_argument(
        "--sequence", action="store_true", help="only the daemon's parts, one after another"
    )
    args = parser.parse_args()
    if args.mic and args.speech:
        parser.error("--speech is said by a replay; with --mic nothing is said")
    env = dict(item.split("=", 1) for item in args.env)
    if args.sequence:
        measure_sequence(env)
        return
    base = measure(PARTS["python (baseline)"], env)
    print(
        f"| part (fresh interpreter{', ' + ' '.join(args.env) if env else ''}) | RSS over python |"
    )
    print("|---|---|")
    print(f"| python (baseline) | {base:.0f} MiB total |")
    for name, code in list(PARTS.items())[1:]:
        if args.only and args.only.lower() not in name.lower():
            continue
        print(f"| {name} | {measure(code, env) - base:+.0f} MiB |", flush=True)
    if args.daemon:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import one_core

        one_core.PIN = []  # RSS does not depend on the pinning; keep the run short
        # The venv's `teddy` may be an editable install of another checkout: run this one's code
        # (or --tree's, to measure another commit in the same run).
        os.environ["PYTHONPATH"] = str(args.tree or ROOT)
        os.environ.update(env)
        with _microphone(args.mic) as mic_env:
            result = one_core.measure_daemon(idle_s=1.0, speech=args.speech, mic_env=mic_env)
        source = "a rig microphone" if args.mic else "a replay of silence"
        print(
            f"| teddy run on {source}, at /readyz 200 "
            f"| {result.get('rss_mib', float('nan')):.0f} MiB total |"
        )
        if args.speech is not None:
            rss = result.get("rss_reply_mib", float("nan"))
            print(f"| teddy run, after replying to {args.speech.name} | {rss:.0f} MiB total |")


if __name__ == "__main__":
    main()
