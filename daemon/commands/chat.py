"""`teddy chat "TEXT"`: emotion → reply → speech for a typed utterance (no microphone)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="run emotion → reply → speech for a typed utterance (no mic)",
        description="Send TEXT through the interaction graph as if the child had said it; "
        "prints the reply (or one JSON object with --json). The turn is recorded in the history.",
    )
    parser.add_argument("text", metavar="TEXT", help="what the child says")
    parser.add_argument("--config", type=Path, help="TOML config file (default: search path)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-speak", action="store_true", help="do not speak the reply (text only)"
    )
    parser.add_argument("--output", metavar="DEV", help="speaker: index or name substring")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from daemon.config import ConfigError, load_config
    from daemon.ops.logsetup import setup_logging

    text = args.text.strip()
    if not text:
        print("teddy chat: TEXT is empty", file=sys.stderr)
        return 2
    problem = _not_utf8(text)
    if problem:
        print(f"teddy chat: TEXT is not valid UTF-8 ({problem}); pass UTF-8 text", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"teddy: {exc}", file=sys.stderr)
        return 2
    setup_logging("WARNING", config.logging.format)
    if args.no_speak:
        config = config.model_copy(
            update={"pipeline": config.pipeline.model_copy(update={"speak": False})}
        )
    output = int(args.output) if args.output and args.output.isdigit() else args.output
    from daemon.ops.shutdown import exit_past_stuck_threads

    try:
        summary = asyncio.run(_chat(config, text, output))
    except Exception as exc:  # e.g. an unusable history folder: one line, not a traceback
        print(f"teddy chat: {type(exc).__name__}: {exc}", file=sys.stderr)
        return exit_past_stuck_threads(1)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    elif summary["reply"]:
        print(summary["reply"])
    code = 0
    if summary["reply"] is None:
        print(f"teddy chat: no reply ({summary['status']}: {summary['error']})", file=sys.stderr)
        code = 1
    return exit_past_stuck_threads(code)  # a hung plug-in's thread must not keep us alive


def _not_utf8(text: str) -> str | None:
    """Bytes that were not UTF-8 reach us as lone surrogates (Python's surrogateescape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        shown = f"byte 0x{ord(bad) - 0xDC00:02x}" if 0xDC80 <= ord(bad) <= 0xDCFF else repr(bad)
        return f"{shown} at character {exc.start}"
    return None


async def _chat(config: Any, text: str, output: int | str | None) -> dict[str, Any]:
    from daemon.app import Daemon

    daemon = Daemon(config, output_spec=output, listen=False, serve_http=False)
    try:
        await daemon.start()
        assert daemon.pipeline is not None
        outcome = await daemon.pipeline.run_interaction(text=text)
    finally:
        await daemon.stop()
    emotion, reply, spoken, raised = outcome.emotion, outcome.reply, outcome.spoken, outcome.alerts
    return {
        "interaction_id": outcome.interaction_id,
        "status": outcome.status,
        "error": outcome.error,
        "transcript": text,
        "emotion": emotion.primary if emotion else None,
        "emotion_scores": emotion.scores if emotion else None,
        "reply": reply.reply if reply else None,
        "offline": bool(reply and reply.offline),
        "offline_reason": reply.offline_reason if reply else None,
        "safety_hits": reply.safety_hits if reply else [],
        "spoken": bool(spoken and spoken.spoken),
        "alerts": [a.to_dict() for a in raised.alerts] if raised else [],
        "timings": outcome.timings,
        "steps": {
            step.step_name: {
                "status": outcome.results[step.step_name].status.value,
                "result": outcome.result_of(step.step_name),
                "error": outcome.results[step.step_name].error,
            }
            for step in config.pipeline.plugin_steps()
            if step.step_name in outcome.results
        },
    }
