"""Everything teddy holds about the child, in one zip (COPPA: the parent reviews it), and deleting
what is older than a date (rows, alerts, tasks and their audio files).

The zip holds ``teddy-export.json`` (interactions with their tasks and alerts, every alert, the
child's profile facts, the settings overlay) and, when audio is stored, ``audio/<id>.flac`` or
``audio/<id>.wav``. It is written to a temporary file by a thread so the daemon's loop keeps
serving while a large history is packed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import tempfile
import wave
import zipfile
from pathlib import Path
from typing import Any

from daemon.config.overlay import read_overlay
from daemon.history.queries import (
    audio_of,
    audio_paths_before,
    delete_before,
    list_alerts,
    profile_facts,
)
from daemon.history.store import HistoryStore
from daemon.parent.context import ParentContext

FORMAT = 1


async def gather(ctx: ParentContext, store: HistoryStore) -> tuple[dict[str, Any], list[Any]]:
    """The export's JSON document and the (id, audio source) pairs to pack."""
    interactions = [row async for row in store.export()]
    audio: list[tuple[str, Any]] = []
    if ctx.config().history.store_audio:
        for row in interactions:
            if row.get("has_audio"):
                found = await audio_of(store, row["id"])
                if found is not None:
                    audio.append((row["id"], found))
    document = {
        "format": FORMAT,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "interactions": interactions,
        "alerts": await list_alerts(store, limit=10**9),
        "profile_facts": await profile_facts(store),
        "settings_overlay": read_overlay(ctx.overlay_path),
    }
    return document, audio


def wav_bytes(pcm16: bytes, sample_rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm16)
    return out.getvalue()


def write_zip(
    target: Path, document: dict[str, Any], audio: list[Any], audio_dir: Path
) -> list[str]:
    """Pack the export into ``target``; the names of audio files that could not be read."""
    missing: list[str] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("teddy-export.json", json.dumps(document, indent=2, default=str))
        for iid, found in audio:
            if found.get("audio_path"):
                path = audio_dir / str(found["audio_path"])
                try:
                    zf.write(path, f"audio/{iid}{path.suffix or '.flac'}", zipfile.ZIP_STORED)
                except OSError:
                    missing.append(str(found["audio_path"]))
            elif found.get("audio"):
                rate = int(found.get("sample_rate") or 16_000)
                zf.writestr(f"audio/{iid}.wav", wav_bytes(bytes(found["audio"]), rate))
    return missing


def temp_zip() -> Path:
    fd, name = tempfile.mkstemp(prefix="teddy-export-", suffix=".zip")
    os.close(fd)
    return Path(name)


async def delete_older(ctx: ParentContext, store: HistoryStore, before: dt.datetime) -> int:
    """Delete interactions started before ``before`` and their audio files; how many rows."""
    names = await audio_paths_before(store, before)
    deleted = await delete_before(store, before)
    for name in names:
        with contextlib.suppress(OSError):
            (ctx.audio_dir / name).unlink()
    return deleted
