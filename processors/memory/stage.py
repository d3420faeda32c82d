"""The PROFILE_UPDATE stage: facts the child told about themselves in one utterance.

Runs at LOW priority after transcription, beside the reply (never before it). With an API key it
asks Claude for a ``remember_facts`` tool call (:mod:`processors.memory.llm`); without one, or when
that call fails, the offline patterns (:mod:`processors.memory.patterns`) answer. Either way the
result is a :class:`~processors.results.ProfileUpdate` of checked facts; the daemon's history
stores them. The stage keeps nothing itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from processors.memory.llm import ToolExtractor
from processors.memory.patterns import extract
from processors.results import ProfileUpdate, Transcription

log = logging.getLogger(__name__)

#: the task type (entry point name in ``teddy.processors``)
TASK_TYPE = "profile_update"
MAX_INPUT_CHARS = 1000
#: a child telling something about themselves speaks in the first person; anything else ("why is
#: the sky blue?") is not worth a second API call per utterance
_MAY_DISCLOSE = re.compile(
    r"\b(i|i'm|im|i've|i'll|i'd|my|mine|me|we|we're|our|us|myself)\b", re.IGNORECASE
)


def _child_text(task: Any) -> str:
    payload: Mapping[str, Any] = getattr(task, "payload", None) or {}
    value = payload.get("text")
    if isinstance(value, str) and value.strip():
        return value.strip()[:MAX_INPUT_CHARS]
    getter = getattr(task, "dependency_result", None)
    found = Transcription.of(getter("audio_transcription") if callable(getter) else None)
    return found.text.strip()[:MAX_INPUT_CHARS] if found is not None else ""


def _today(payload: Mapping[str, Any]) -> dt.date:
    """The child's local date (``payload["now"]``, an ISO date-time, lets tests set the clock)."""
    now = payload.get("now")
    if isinstance(now, str):
        try:
            return dt.datetime.fromisoformat(now).astimezone().date()
        except ValueError:
            log.warning("profile_update: ignoring payload now=%r (not an ISO date-time)", now)
    return dt.datetime.now().astimezone().date()


class ProfileUpdater:
    """``await updater(task) -> ProfileUpdate``."""

    def __init__(self, *, enabled: bool = True, llm: ToolExtractor | None = None) -> None:
        self.enabled = enabled
        self.llm = llm

    @classmethod
    def from_config(
        cls, memory: Mapping[str, Any], llm: Mapping[str, Any], *, api_key: str | None = None
    ) -> ProfileUpdater:
        """From ``[memory]`` and ``[llm]``: Claude proposes facts when the reply uses Claude."""
        extractor = (
            ToolExtractor(
                api_key=api_key,
                model=str(llm["model"]),
                base_url=llm.get("base_url") or None,
                timeout_s=float(llm["timeout_s"]),
            )
            if api_key
            else None
        )
        return cls(enabled=bool(memory["enabled"]), llm=extractor)

    async def __call__(self, task: Any) -> ProfileUpdate:
        payload: Mapping[str, Any] = getattr(task, "payload", None) or {}
        text = _child_text(task)
        if not self.enabled or not text:
            return ProfileUpdate(facts=[], source="off" if not self.enabled else "patterns")
        today = _today(payload)
        if self.llm is not None and _MAY_DISCLOSE.search(text):
            try:
                facts, refused = await self.llm.extract(text, today)
            except Exception as exc:  # the API is down: the patterns still remember the dog
                log.warning("profile_update: tool call failed (%s: %s)", type(exc).__name__, exc)
            else:
                return ProfileUpdate(facts=facts, source="llm", refused=refused)
        facts, refused = extract(text, today)
        return ProfileUpdate(facts=facts, source="patterns", refused=refused)

    async def aclose(self) -> None:
        if self.llm is not None:
            await self.llm.aclose()


@functools.cache
def _default() -> ProfileUpdater:
    return ProfileUpdater.from_config(
        {"enabled": True},
        {"model": "claude-haiku-4-5", "timeout_s": 10.0},
        api_key=os.environ.get("ANTHROPIC_API_KEY") or None,
    )


async def process(task: Any) -> ProfileUpdate:
    """The built-in PROFILE_UPDATE processor (entry point ``teddy.processors``)."""
    return await _default()(task)
