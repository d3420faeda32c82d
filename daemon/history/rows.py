"""Conversions between database rows and the dicts the CLI prints, and audio to stored bytes."""

from __future__ import annotations

import json
from typing import Any


def _json(value: Any, empty: Any) -> Any:
    if value is None or value == "":
        return empty
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return empty


def interaction_row(row: Any) -> dict[str, Any]:
    # ``row`` is an sqlite3.Row (indexable by column name, not a Mapping)
    """One interaction as a plain dict (``teddy history --json`` prints these keys)."""
    return {
        "id": row["id"],
        "started_at": row["started_at"],
        "ended_at": row["ended_at"],
        "status": row["status"],
        "source": row["source"],
        "transcript": row["transcript"],
        "emotion": row["emotion"],
        "emotion_scores": _json(row["emotion_scores"], {}),
        "reply": row["reply"],
        "offline": bool(row["offline"]),
        "offline_reason": row["offline_reason"],
        "safety_hits": _json(row["safety_hits"], []),
        "timings": _json(row["timings"], {}),
        "error": row["error"],
        "has_audio": bool(row["has_audio"]),
        "attempts": int(row["attempts"] or 0) if "attempts" in row.keys() else 0,
        "sample_rate": row["sample_rate"],
    }


def pcm16_bytes(audio: Any) -> bytes:
    """Audio as 16-bit little-endian PCM: bytes pass through, float arrays (-1..1) are converted."""
    if isinstance(audio, bytes | bytearray | memoryview):
        return bytes(audio)
    import numpy as np

    data = np.asarray(audio)
    if data.dtype.kind == "f":
        data = np.clip(np.nan_to_num(data), -1.0, 1.0) * 32767.0
    return bytes(data.astype("<i2").tobytes())
