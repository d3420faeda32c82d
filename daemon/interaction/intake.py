"""Utterances in: journal first, then the bounded backlog, then one interaction at a time.

``hear()`` is called by the listener for every utterance the endpointer closes. The utterance's
journal row and audio are committed (``daemon/history/journal.py``) before it joins the backlog;
when ``max_pending`` utterances already wait, it becomes a ``dropped`` row instead, counted in
``dropped``. At start, unfinished rows from a previous run are queued ahead of new utterances,
oldest first. On shutdown only the interaction being answered is given the grace period:
waiting utterances stay ``heard`` in the journal and are resumed by the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from daemon.history.journal import Journal, Resume
from daemon.interaction.pipeline import HistorySink, Pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Utterance:
    interaction_id: str
    audio: Any | None = None
    sample_rate: int = 16_000
    ended_at: float | None = None
    resume: Resume | None = None


class Intake:
    def __init__(
        self,
        pipeline: Pipeline,
        history: HistorySink,
        journal: Journal | None = None,
        *,
        max_pending: int = 8,
        on_drop: Callable[[str], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.history = history
        self.journal = journal
        self.max_pending = max_pending
        self.on_drop = on_drop
        self.dropped = 0
        self.last_drop_at: float | None = None
        self.resumed = 0
        self._queue: asyncio.Queue[Utterance] = asyncio.Queue()
        self._journaling = 0  # heard, row being written, not queued yet
        self._order = asyncio.Lock()  # FIFO: rows (and the backlog) keep the order of speech
        self._room = asyncio.Event()
        self._room.set()
        self._spawned: set[asyncio.Task[Any]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._current: asyncio.Task[Any] | None = None
        self._closing = False

    @property
    def pending(self) -> int:
        return self._queue.qsize() + self._journaling + self.pipeline.running

    def _waiting(self) -> int:
        return self._queue.qsize() + self._journaling

    # -- in ---------------------------------------------------------------------------------------

    def hear(self, audio: Any, sample_rate: int, ended_at: float) -> bool:
        """An utterance from the listener; False (and a ``dropped`` row) on a full backlog."""
        interaction_id = uuid.uuid4().hex
        if self._waiting() >= self.max_pending:
            self.dropped += 1
            self.last_drop_at = time.monotonic()
            log.warning(
                "pipeline backlog full (%d waiting): utterance %s dropped",
                self.max_pending,
                interaction_id,
            )
            if self.on_drop is not None:
                self.on_drop("backlog_full")
            reason = f"backlog full: {self.max_pending} utterances were already waiting"
            self._spawn(
                self.history.record_dropped(
                    interaction_id, audio=audio, sample_rate=sample_rate, reason=reason
                )
            )
            return False
        self._journaling += 1
        self._update_room()
        self._spawn(
            self._journal_then_queue(Utterance(interaction_id, audio, sample_rate, ended_at))
        )
        return True

    async def _journal_then_queue(self, item: Utterance) -> None:
        try:
            async with self._order:
                await self.history.record_heard(
                    item.interaction_id, audio=item.audio, sample_rate=item.sample_rate
                )
                self._queue.put_nowait(item)
        finally:
            self._journaling -= 1

    def resume(self, plan: list[Resume]) -> None:
        """Queue unfinished rows of an earlier run, oldest first, ahead of anything heard now."""
        for resume in plan:
            self._queue.put_nowait(Utterance(resume.interaction_id, resume=resume))
        self.resumed += len(plan)
        if plan:
            log.info("journal: resuming %d unfinished interaction(s), oldest first", len(plan))

    async def room(self) -> None:
        """Wait until the backlog has room (paces a ``--fast`` replay instead of dropping)."""
        await self._room.wait()

    def _update_room(self) -> None:
        if self._waiting() >= self.max_pending:
            self._room.clear()
        else:
            self._room.set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    # -- out --------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="teddy-intake")

    async def _run(self) -> None:
        while not self._closing:
            item = await self._queue.get()
            self._update_room()
            self._current = asyncio.create_task(self._answer(item), name="teddy-interaction")
            try:
                await asyncio.shield(self._current)
            except Exception:
                # One bad utterance must never stop the bear from listening to the next one.
                log.exception("interaction %s failed unexpectedly", item.interaction_id)
            finally:
                self._current = None

    async def _answer(self, item: Utterance) -> Any:
        resume = item.resume
        if resume is None:
            return await self.pipeline.run_interaction(
                audio=item.audio,
                sample_rate=item.sample_rate,
                ended_at=item.ended_at,
                interaction_id=item.interaction_id,
            )
        if resume.kind == "speak" and resume.reply:
            return await self.pipeline.speak_reply(resume.interaction_id, resume.reply)
        if resume.kind == "text" and resume.transcript:
            return await self.pipeline.run_interaction(
                text=resume.transcript, interaction_id=resume.interaction_id
            )
        loaded = await asyncio.to_thread(self.journal.load_audio, resume) if self.journal else None
        if loaded is None:
            await self.history.finish(
                resume.interaction_id,
                status="failed",
                timings={},
                error="its audio could not be read back from the journal",
            )
            return None
        audio, rate = loaded
        return await self.pipeline.run_interaction(
            audio=audio, sample_rate=rate, interaction_id=resume.interaction_id
        )

    async def stop(self, grace_s: float) -> bool:
        """Stop taking utterances; give the one being answered ``grace_s``; False if it had to be
        cancelled (its row keeps its last state for the next start, like the waiting ones)."""
        self._closing = True
        finished = True
        current = self._current
        if current is not None and not current.done():
            done, _ = await asyncio.wait({current}, timeout=max(0.0, grace_s))
            if not done:
                finished = False
                current.cancel()
                with contextlib.suppress(BaseException):
                    await current
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(BaseException):
                await self._worker
            self._worker = None
        # Journal writes already under way finish (they are quick, and they are the point).
        if self._spawned:
            await asyncio.wait(set(self._spawned), timeout=2.0)
        left = self._queue.qsize()
        if left:
            log.info("shutdown: %d waiting utterance(s) stay in the journal for next start", left)
        return finished


class PacedSource:
    """A ``--fast`` replay source that waits for room in the backlog before each frame, so a
    replay of many files is answered rather than dropped (its clock is virtual, so pausing it
    changes no timestamp)."""

    def __init__(self, source: Any, room: Callable[[], Awaitable[None]]) -> None:
        self._source = source
        self._room = room

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    async def frames(self) -> AsyncIterator[Any]:
        async for frame in self._source.frames():
            await self._room()
            yield frame
