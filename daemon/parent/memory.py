"""The Memory page's logic, shared by its HTML forms and ``/api/profile``: what the bear remembers
about the child (``daemon.history.profile``), whether memory is on, and the parent's changes —
forget one fact, forget all, correct a value (checked by the same privacy rule as the memory
step, ``processors.memory.privacy.refusal``, through ``profile.correct``)."""

from __future__ import annotations

from typing import Any

from daemon.history import profile
from daemon.history.store import HistoryStore
from daemon.parent.context import ParentContext
from daemon.parent.params import BadParam

#: what ``PUT /api/profile/{id}`` takes
BODY_SHAPE = 'the body must be a JSON object {"value": "<the corrected value>"}'
#: how each source reads on the page
SOURCES = {
    "llm": "picked out by Claude",
    "patterns": "heard in a plain sentence",
    "parent": "corrected by you",
}


def fact_id(text: str) -> int:
    """A fact id from the path; BadParam naming what was given and what is allowed."""
    if not text.isdigit() or int(text) <= 0:
        raise BadParam(f"fact id {text!r} is not a fact id: use a positive whole number")
    return int(text)


def value_from_body(body: Any) -> str:
    """The new value of ``PUT /api/profile/{id}`` (``{"value": "..."}``)."""
    if not isinstance(body, dict) or not isinstance(body.get("value"), str):
        raise BadParam(BODY_SHAPE)
    return str(body["value"])


async def correct(store: HistoryStore, fact: int, value: str) -> dict[str, Any] | None:
    """The corrected row, None if there is no such fact; BadParam (one line) when the value may
    not be kept (personal data, a disclosure, not plain words, too long, a duplicate)."""
    try:
        return await profile.correct(store, fact, value)
    except ValueError as exc:
        raise BadParam(str(exc)) from None


def state(ctx: ParentContext) -> dict[str, Any]:
    """Whether memory is on, and how many facts at most one reply prompt carries."""
    memory = ctx.config().memory
    return {"enabled": memory.enabled, "max_prompt_facts": memory.max_prompt_facts}


def source_label(source: str) -> str:
    return SOURCES.get(source, source)
