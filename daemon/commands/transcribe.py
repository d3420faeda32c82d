"""`teddy transcribe FILE...`: transcribe audio files offline with the configured STT model."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "transcribe",
        help="transcribe audio files (wav, flac, ogg, mp3)",
        description="Transcribe audio files offline. One bad file is reported and skipped; "
        "the exit code is 1 if any file failed.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.add_argument("--json", action="store_true", help="JSON Lines, one object per file")
    parser.add_argument("--config", type=Path, help="TOML config whose [stt] gives the defaults")
    parser.add_argument(
        "--backend", choices=["faster-whisper", "openai-whisper"], help="default: stt.backend"
    )
    parser.add_argument("--model", help="tiny.en, base, or a model path (default: stt.model)")
    parser.add_argument("--beam-size", type=int, help="default: stt.beam_size")
    parser.add_argument("--threads", type=int, help="default: stt.cpu_threads")
    parser.add_argument("--language", help="default: stt.language ('' = detect)")
    parser.set_defaults(func=run)


def _transcribe_one(stage: Any, path: Path) -> dict[str, Any]:
    from processors.audio.samples import BadAudio
    from processors.stt.audio_file import read_audio_file
    from processors.stt.errors import UtteranceRejected

    started = time.perf_counter()
    record: dict[str, Any] = {"file": str(path)}
    try:
        audio = read_audio_file(path, getattr(stage, "max_duration_s", None))
    except BadAudio as exc:
        record.update(text="", segments=[], error=str(exc), duration_s=0.0)
        record["processing_s"] = time.perf_counter() - started
        return record
    try:
        record.update(stage.transcribe_array(audio).to_dict())
    except UtteranceRejected as exc:
        record.update(text="", segments=[], rejected=exc.reason, duration_s=len(audio) / 16_000)
    except BadAudio as exc:
        record.update(text="", segments=[], error=f"{path}: {exc}", duration_s=len(audio) / 16_000)
    record["processing_s"] = time.perf_counter() - started
    return record


def _print_plain(record: dict[str, Any], many: bool, write: Any) -> None:
    prefix = f"{record['file']}: " if many else ""
    if "error" in record:
        print(f"error: {record['error']}", file=sys.stderr)
    elif "rejected" in record:
        write(f"{prefix}[no speech: {record['rejected']}]")
    else:
        write(f"{prefix}{record['text']}")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from tqdm import tqdm

    from daemon.config import ConfigError, load_config
    from processors.stt.stage import Transcriber

    try:
        stt = load_config(args.config).stt
    except ConfigError as exc:
        print(f"teddy: {exc}", file=sys.stderr)
        return 2
    # Every [stt] key applies, as in the daemon; the command-line flags override them.
    flags = {
        "backend": args.backend,
        "model": args.model,
        "beam_size": args.beam_size,
        "cpu_threads": args.threads,
        "language": args.language,
    }
    overrides = {key: value for key, value in flags.items() if value is not None}
    stage = Transcriber.from_config(stt.model_dump(), **overrides)
    try:
        stage.load_sync()
    except (OSError, ImportError, ValueError) as exc:
        print(f"error: cannot load the STT model: {exc}", file=sys.stderr)
        return 1
    files: list[Path] = args.files
    many = len(files) > 1
    failed = 0
    bar = tqdm(files, unit="file", disable=not many, file=sys.stderr)
    for path in bar:
        record = _transcribe_one(stage, path)
        failed += "error" in record
        if args.json:
            bar.write(json.dumps(record, ensure_ascii=False), file=sys.stdout)
        else:
            _print_plain(record, many, lambda line: bar.write(line, file=sys.stdout))
    return 1 if failed else 0
