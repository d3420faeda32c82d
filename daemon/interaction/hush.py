"""A bare "stop" / "be quiet" / "shush" stops the bear; it does not start a new reply.

With barge-in on, the child's "Stop teddy, stop!" has already stopped the speech when the
utterance reaches the reply step. If all it says is such a request, the reply step answers with
silence (an empty ``Reply``) instead of asking the model: the bear stays quiet. Anything more
("stop, I want to ask something else") is answered as usual.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from processors.results import Reply, Transcription

_FILLER = r"(?:please|teddy|bear|now|ok(?:ay)?|hey|oh|it|just|you)"
_COMMAND = (
    r"(?:stop(?: (?:it|talking|that|now))?|be quiet|quiet|shush+|sh+|hush|enough|"
    r"no more|shut up|be silent|silence)"
)
_STOP = re.compile(
    rf"^(?:{_FILLER} )*{_COMMAND}(?: {_FILLER})*(?: (?:{_FILLER} )*{_COMMAND}(?: {_FILLER})*)*$"
)


def is_stop_request(text: str) -> bool:
    """True for a short request to be quiet and nothing else ("Stop!", "Teddy, shush please")."""
    words = re.sub(r"[^a-z' ]+", " ", text.lower()).split()
    return bool(words) and len(words) <= 6 and bool(_STOP.match(" ".join(words)))


def hush_step(reply: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    """The reply step's processor: silence for a bare stop request, else ``reply(task)``."""

    async def step(task: Any) -> Any:
        text = _child_text(task)
        if text and is_stop_request(text):
            payload: Mapping[str, Any] = getattr(task, "payload", None) or {}
            return Reply(reply="", interaction_id=payload.get("interaction_id"))
        return await reply(task)

    return step


def _child_text(task: Any) -> str:
    payload: Mapping[str, Any] = getattr(task, "payload", None) or {}
    text = payload.get("text")
    if isinstance(text, str) and text.strip():
        return text
    getter = getattr(task, "dependency_result", None)
    found = Transcription.of(getter("audio_transcription") if callable(getter) else None)
    return found.text if found is not None and isinstance(found.text, str) else ""
