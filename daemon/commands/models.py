"""`teddy models`: list the bundled STT models and export them for openai-whisper."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("models", help="list and convert the bundled STT models")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="bundled models and whether they are installed")
    listing.set_defaults(func=run_list)
    export = sub.add_parser(
        "export-openai-whisper",
        help="convert a CTranslate2 Whisper model into a checkpoint whisper.load_model accepts",
    )
    export.add_argument("out", metavar="OUT.pt", type=Path)
    export.add_argument("--model", default="tiny.en", help="tiny.en, base, or a CT2 model dir")
    export.set_defaults(func=run_export)
    assemble = sub.add_parser("assemble-base", help="assemble Whisper base into the model cache")
    assemble.set_defaults(func=run_assemble)


def run_list(args: argparse.Namespace) -> int:
    from processors.stt.models import list_models

    for info in list_models():
        state = "installed" if info.available else "missing"
        print(f"{info.name:8} {state:10} {info.location}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from processors.stt.ct2_format import CT2FormatError
    from processors.stt.export import ExportError, export_openai_whisper
    from processors.stt.models import ModelNotFound, resolve_ct2_model

    try:
        model_dir = resolve_ct2_model(args.model)
        dims = export_openai_whisper(model_dir, args.out)
    except ImportError:
        print("error: exporting needs torch: pip install 'teddy[openai-whisper]'", file=sys.stderr)
        return 1
    except (ModelNotFound, CT2FormatError, ExportError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    layers = f"{dims['n_audio_layer']}+{dims['n_text_layer']} layers"
    print(f"wrote {args.out} ({args.model}: width {dims['n_audio_state']}, {layers})")
    return 0


def run_assemble(args: argparse.Namespace) -> int:
    from processors.stt.models import ModelNotFound, base_dir

    try:
        print(base_dir())
    except (ModelNotFound, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
