"""Hand-over of reply sentences from the AI-response stage to speech while the reply streams."""

from __future__ import annotations

from typing import Protocol


class SentenceSink(Protocol):
    """Receives the safe sentences of one interaction's reply as soon as each one is complete."""

    async def put(self, interaction_id: str, sentence: str) -> None: ...

    async def close(self, interaction_id: str, error: BaseException | None = None) -> None: ...
