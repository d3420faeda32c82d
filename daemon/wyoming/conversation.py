"""teddy's brain for Home Assistant: a Wyoming server (``wyoming.listen``) with a "handle" program.

Home Assistant's Wyoming conversation agent connects, may send Describe (answered with Info naming
a handle program), then sends a Transcript with the child's words and reads until Handled (the
reply text, which HA speaks on its own device) or NotHandled. Every Transcript runs teddy's own
pipeline, as ``teddy chat`` does: emotion, the child-safe reply, parent alerts and history; the
bear's own speaker stays quiet (HA speaks). Events HA may send that a conversation agent has no
use for are ignored; one broken turn answers NotHandled and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from wyoming.asr import Transcript
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Attribution, Describe, HandleModel, HandleProgram, Info
from wyoming.server import AsyncEventHandler

log = logging.getLogger(__name__)

Answer = Callable[[str], Awaitable[str | None]]
#: what HA speaks when teddy has no reply (a failed or refused turn); kind, never an error text
NO_REPLY = "Hmm, I could not think of an answer just now. Can you say it again?"
VERSION = "1.0"


def info(languages: list[str] | None = None) -> Info:
    """What Describe answers: one handle program, "teddy"."""
    attribution = Attribution(name="teddy", url="")  # no public home page yet
    model = HandleModel(
        name="teddy",
        attribution=attribution,
        installed=True,
        description="a kind, child-safe teddy bear (emotion, safety filter, parent alerts)",
        version=VERSION,
        languages=languages or ["en"],
    )
    program = HandleProgram(
        name="teddy",
        attribution=attribution,
        installed=True,
        description="teddy's conversation pipeline",
        version=VERSION,
        models=[model],
        supports_handled_streaming=False,
    )
    return Info(handle=[program])


class _Interactions(Protocol):
    async def run_interaction(self, *, text: str | None = ..., speak: bool | None = ...) -> Any: ...


def pipeline_answer(pipeline: _Interactions) -> Answer:
    """The daemon's pipeline as an :data:`Answer` (the same path as ``teddy chat --no-speak``)."""

    async def answer(text: str) -> str | None:
        outcome = await pipeline.run_interaction(text=text, speak=False)
        reply = getattr(outcome, "reply", None)
        return str(reply.reply) if reply is not None and reply.reply else None

    return answer


class ConversationHandler(AsyncEventHandler):
    """One Home Assistant connection."""

    def __init__(
        self, answer: Answer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        super().__init__(reader, writer)
        self.answer = answer

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(info().event())
            return True
        if not Transcript.is_type(event.type):
            return True  # e.g. audio or ping: nothing a conversation agent answers
        transcript = Transcript.from_event(event)
        text = (transcript.text or "").strip()
        reply: str | None = None
        if text:
            try:
                reply = await self.answer(text)
            except Exception:  # one broken turn must not end the server
                log.exception("Wyoming conversation turn failed")
        if reply:
            await self.write_event(Handled(text=reply, context=transcript.context).event())
        else:
            await self.write_event(NotHandled(text=NO_REPLY, context=transcript.context).event())
        return True


class ConversationServer:
    """Listens on ``tcp://HOST:PORT`` or ``unix://PATH``; ``start()``/``stop()`` on the loop."""

    def __init__(self, listen: str, answer: Answer) -> None:
        self.listen, self.answer = listen, answer
        self._server: asyncio.AbstractServer | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        where = urlparse(self.listen)
        if where.scheme == "unix":
            # a stale socket left by a crash would make the bind fail
            await asyncio.to_thread(Path(where.path).unlink, missing_ok=True)
            self._server = await asyncio.start_unix_server(self._connected, path=where.path)
        elif where.scheme == "tcp" and where.hostname and where.port:
            self._server = await asyncio.start_server(
                self._connected, host=where.hostname, port=where.port
            )
        else:
            raise ValueError(
                f"wyoming.listen = {self.listen!r}: write tcp://HOST:PORT or unix://PATH"
            )
        log.info("Wyoming conversation server listening on %s", self.listen)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await ConversationHandler(self.answer, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
            log.info("Wyoming client left: %s", exc)
        finally:
            self._handlers.discard(task)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()
        self._server = None


async def start_conversation(
    listen: str | None, pipeline: _Interactions
) -> ConversationServer | None:
    """The server on ``listen`` (None when unset); a bind failure is logged, never fatal."""
    if not listen:
        return None
    server = ConversationServer(listen, pipeline_answer(pipeline))
    try:
        await server.start()
    except OSError as exc:
        log.error(
            "wyoming.listen = %s: cannot listen (%s); Home Assistant cannot reach teddy",
            listen,
            exc,
        )
        return None
    return server
