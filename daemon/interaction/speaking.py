"""Before the bear's first sound of a reply, the journal records that it began speaking it.

After a crash, a reply the child already began to hear is neither asked for again nor said again
(``daemon/history/journal.py`` ends such a row ``interrupted``). Both ways a reply reaches the
speaker are covered: sentences streamed from the reply stage (the sentence sink) and the speech
step saying a whole reply itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from processors.reply.sink import SentenceSink

log = logging.getLogger(__name__)

Mark = Callable[[str], Awaitable[object]]


class MarkingSink:
    """A :class:`SentenceSink` that marks an interaction once, then hands sentences on."""

    def __init__(self, inner: SentenceSink, mark: Mark) -> None:
        self.inner = inner
        self.mark = mark
        self._marked: set[str] = set()

    async def put(self, interaction_id: str, sentence: str) -> None:
        if interaction_id not in self._marked:
            self._marked.add(interaction_id)
            await _quietly(self.mark, interaction_id)
        await self.inner.put(interaction_id, sentence)

    async def close(self, interaction_id: str, error: BaseException | None = None) -> None:
        self._marked.discard(interaction_id)
        await self.inner.close(interaction_id, error)


def marking_step(speak: Callable[[Any], Awaitable[Any]], mark: Mark) -> Callable[[Any], Any]:
    """The speech step's processor: mark, then speak (the mark is a no-op if already set)."""

    async def step(task: Any) -> Any:
        interaction_id = task.payload.get("interaction_id")
        if isinstance(interaction_id, str) and interaction_id:
            await _quietly(mark, interaction_id)
        return await speak(task)

    return step


async def _quietly(mark: Mark, interaction_id: str) -> None:
    # The history never silences the bear: a failed mark is logged, and the bear speaks.
    try:
        await mark(interaction_id)
    except Exception:
        log.exception("journal: marking %s as speaking failed", interaction_id)
