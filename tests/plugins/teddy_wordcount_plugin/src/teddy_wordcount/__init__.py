"""A tiny teddy plug-in, installed by the tests with pip: a real entry point, a real step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def count_words(task: Any) -> dict[str, int]:
    """Count words in what the child said and what the bear answered (dependency results)."""
    heard = task.payload.get("text") or ""
    replied = ""
    for result in task.dependency_results.values():
        # teddy's stage results are typed dataclasses that read as mappings (not dicts)
        if isinstance(result, Mapping):
            heard = result.get("text") or heard
            replied = result.get("reply") or replied
    return {"heard_words": len(str(heard).split()), "reply_words": len(str(replied).split())}
