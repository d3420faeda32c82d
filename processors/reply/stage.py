"""The AI_RESPONSE stage: Claude's reply, streamed sentence by sentence, filtered for a child.

Each safe sentence goes to the ``sentence_sink`` (the speaker) as soon as it is complete, so the
bear starts talking before the reply is finished. Whatever goes wrong with the API (no key, 401,
429/5xx after retries, timeouts, garbage), the child still hears something kind within
``timeout_s``: the offline responder answers, and the result says so (``offline``,
``offline_reason``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx2

from processors.profile import render_block, shared_index
from processors.reply.llm.client import NO_API_KEY, UNAUTHORIZED, ClaudeClient, classify_error
from processors.reply.llm.offline import INTERRUPTED_LINE, OfflineResponder
from processors.reply.llm.prompt import build_messages, build_system_prompt
from processors.reply.llm.sentences import SentenceSplitter, split_sentences
from processors.reply.safety import ReplyFilter, SafetyFilter
from processors.reply.sink import SentenceSink
from processors.results import Reply, Transcription

log = logging.getLogger(__name__)

DEFAULT_MODEL = "claude-haiku-4-5"
OFFLINE_MODEL = "offline"
#: the child's words beyond this are cut (a run-away transcript must not become a huge request)
MAX_INPUT_CHARS = 2000
_TERMINATORS = ".!?\u2026"
_CLOSERS = "\"')]\u201d\u2019"


def read_api_key(api_key: str | None, api_key_file: str | Path | None) -> str | None:
    """The key given, else the first line of ``api_key_file`` (e.g. a systemd credential)."""
    if api_key and api_key.strip():
        return api_key.strip()
    if api_key_file:
        try:
            key = Path(api_key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            log.error("llm: cannot read api_key_file %s: %s; replying offline", api_key_file, exc)
            return None
        return key.splitlines()[0].strip() if key else None
    return None


def _child_text(task: Any) -> str:
    payload: Mapping[str, Any] = getattr(task, "payload", None) or {}
    for key in ("text", "prompt"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_INPUT_CHARS]
    found = Transcription.of(_dependency(task, "audio_transcription"))
    if found is not None and isinstance(found.text, str):
        return found.text.strip()[:MAX_INPUT_CHARS]
    return ""


def _emotion(task: Any) -> str | None:
    payload: Mapping[str, Any] = getattr(task, "payload", None) or {}
    value = payload.get("emotion")
    if isinstance(value, Mapping):
        value = value.get("primary")
    if isinstance(value, str) and value:
        return value
    for kind in ("emotion_analysis", "text_analysis"):  # an EmotionReading or text analysis
        found = _dependency(task, kind)
        if isinstance(found, Mapping) and isinstance(found.get("primary"), str):
            return str(found["primary"])
    return None


async def _remembered(payload: Mapping[str, Any], text: str) -> tuple[list[Mapping[str, Any]], str]:
    """The profile facts that fit ``text`` (``payload["profile"]``, from the daemon) and their
    prompt block; nothing when memory is off or the payload has no profile."""
    profile = payload.get("profile")
    if not isinstance(profile, Mapping) or not isinstance(profile.get("facts"), list):
        return [], ""
    now = profile.get("now")
    try:
        when = dt.datetime.fromisoformat(now) if isinstance(now, str) else dt.datetime.now(dt.UTC)
        # embedding new facts is model work: off the event loop
        chosen = await asyncio.to_thread(
            shared_index().select,
            [f for f in profile["facts"] if isinstance(f, Mapping)],
            text,
            max_facts=int(profile.get("max_facts", 6)),
            max_chars=int(profile.get("max_chars", 600)),
            now=when,
        )
    except Exception:  # a bad fact must not cost the child their reply
        log.exception("llm: choosing profile facts failed; replying without them")
        return [], ""
    return chosen, render_block(chosen, when.astimezone().date())


def _dependency(task: Any, task_type: str) -> Any:
    getter = getattr(task, "dependency_result", None)
    return getter(task_type) if callable(getter) else None


class Responder:
    """``await responder(task) -> Reply``; ``state`` is ok | offline | unauthorized | error."""

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        max_tokens: int = 300,
        api_key: str | None = None,
        api_key_file: str | Path | None = None,
        base_url: str | None = None,
        timeout_s: float = 10.0,
        max_retries: int = 2,
        max_retry_after_s: float = 2.0,
        child_age: int = 5,
        child_name: str = "",
        system_prompt: str | None = None,
        history_turns: int = 6,
        sentence_sink: SentenceSink | None = None,
        safety: SafetyFilter | None = None,
        offline: OfflineResponder | None = None,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.model = model
        self.timeout_s = timeout_s
        self.child_age = child_age
        self.child_name = child_name
        self.system_prompt = system_prompt or None
        self.history_turns = history_turns
        self.sentence_sink = sentence_sink
        self.safety = safety or SafetyFilter()
        self.offline = offline or OfflineResponder()
        self.last_error: str | None = None
        key = read_api_key(api_key, api_key_file)
        self._client = (
            ClaudeClient(
                api_key=key,
                model=model,
                max_tokens=max_tokens,
                base_url=base_url,
                read_timeout_s=timeout_s,
                max_retries=max_retries,
                max_retry_after_s=max_retry_after_s,
                http_client=http_client,
            )
            if key
            else None
        )
        self.state = "ok" if self._client is not None else "offline"

    @classmethod
    def from_config(
        cls,
        llm: Mapping[str, Any],
        child: Mapping[str, Any],
        *,
        sentence_sink: SentenceSink | None = None,
        api_key: str | None = None,
    ) -> Responder:
        """Build from the ``[llm]`` and ``[child]`` sections. ``session_timeout_s`` belongs to the
        conversation context, not to the responder; the key comes from ``api_key`` (the
        environment's ``ANTHROPIC_API_KEY``) or ``api_key_file``."""
        settings = {k: v for k, v in llm.items() if k != "session_timeout_s"}
        return cls(
            **settings,
            api_key=api_key,
            child_age=child["age"],
            child_name=child["name"],
            sentence_sink=sentence_sink,
        )

    def apply_live(self, llm: Mapping[str, Any], child: Mapping[str, Any]) -> None:
        """SIGHUP: the prompt, the child and the reply length change live; the model, URL, key
        and timeouts need a restart (the daemon logs which)."""
        if self._client is not None:
            self._client.max_tokens = llm["max_tokens"]
        self.child_age = child["age"]
        self.child_name = child["name"]
        self.system_prompt = llm["system_prompt"] or None
        self.history_turns = llm["history_turns"]

    @property
    def online(self) -> bool:
        return self._client is not None

    def health(self) -> dict[str, Any]:
        """For the health endpoint: ``llm: ok | offline | unauthorized | error``."""
        return {"state": self.state, "model": self.model, "last_error": self.last_error}

    async def load(self) -> None:
        """Import the SDK off the event loop (it takes about a second)."""
        if self._client is not None:
            await asyncio.to_thread(self._client.preload)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __call__(self, task: Any) -> Reply:
        text = _child_text(task)
        if not text:
            raise ValueError(
                "ai_response needs the child's words: payload 'text'/'prompt' "
                "or a transcription dependency result with 'text'"
            )
        payload: Mapping[str, Any] = getattr(task, "payload", None) or {}
        interaction_id = str(payload.get("interaction_id") or getattr(task, "id", "") or "")
        emotion = _emotion(task)
        input_hits = [hit.to_dict() for hit in self.safety.check_input(text)]
        concerns = [hit["category"] for hit in input_hits]
        facts, memory = await _remembered(payload, text)
        turn = _Turn(self, interaction_id, self.safety)
        started = time.monotonic()
        error: BaseException | None = None
        reason: str | None = NO_API_KEY
        try:
            if self._client is not None:
                reason = await self._ask_claude(turn, text, emotion, concerns, payload, memory)
            if reason is not None:
                line = INTERRUPTED_LINE if turn.sentences else None
                for sentence in split_sentences(
                    line or self.offline.reply(text, emotion, concerns, facts)
                ):
                    await turn.say(sentence)
        except BaseException as exc:  # cancelled (barge-in, shutdown): tell the sink, then go
            error = exc
            raise
        finally:
            await turn.close(error)
        return Reply(
            reply=" ".join(turn.sentences),
            sentences=list(turn.sentences),
            offline=reason is not None,
            offline_reason=reason,
            partial=reason is not None and turn.llm_sentences > 0,
            model=self.model if turn.llm_sentences else OFFLINE_MODEL,
            emotion=emotion,
            safety_hits=turn.filter.hits,
            input_safety_hits=input_hits,
            first_token_s=turn.first_token_s,
            llm_s=round(time.monotonic() - started, 4),
            interaction_id=interaction_id,
            streamed=self.sentence_sink is not None and not turn.sink_failed,
        )

    async def _ask_claude(
        self,
        turn: _Turn,
        text: str,
        emotion: str | None,
        concerns: list[str],
        payload: Mapping[str, Any],
        memory: str = "",
    ) -> str | None:
        """Stream the reply into ``turn``; return None on success or the offline reason."""
        assert self._client is not None
        history = payload.get("history")
        system = build_system_prompt(
            self.child_age,
            emotion,
            concerns,
            child_name=self.child_name,
            custom=self.system_prompt,
            memory=memory,
        )
        messages = build_messages(
            history if isinstance(history, list) else None, text, self.history_turns
        )
        splitter = SentenceSplitter()
        try:
            if not self._client.ready:
                await self.load()  # first use: the slow SDK import happens off the event loop
            async with asyncio.timeout(self.timeout_s):
                async for delta in self._client.stream_text(system, messages):
                    turn.mark_first_token()
                    for sentence in splitter.feed(delta):
                        await turn.say(sentence, from_llm=True)
                for sentence in splitter.flush():
                    await turn.say(sentence, from_llm=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one bad API call must never take the daemon down
            tail = splitter.pending.strip()
            if tail and tail.rstrip(_CLOSERS)[-1:] in _TERMINATORS:
                await turn.say(
                    tail, from_llm=True
                )  # a finished sentence still waiting for the next
            reason = classify_error(exc)
            self.state = "unauthorized" if reason == UNAUTHORIZED else "error"
            self.last_error = f"{reason}: {type(exc).__name__}: {exc}"[:300]
            log.warning("llm: replying offline (%s)", self.last_error)
            return reason
        self.state, self.last_error = "ok", None
        return None


class _Turn:
    """The sentences of one reply as they are filtered and handed to the sink."""

    def __init__(self, owner: Responder, interaction_id: str, safety: SafetyFilter) -> None:
        self._owner = owner
        self._interaction_id = interaction_id
        self._started = time.monotonic()
        self.filter = ReplyFilter(safety)
        self.sentences: list[str] = []
        self.llm_sentences = 0
        self.first_token_s: float | None = None
        self.sink_failed = False

    def mark_first_token(self) -> None:
        if self.first_token_s is None:
            self.first_token_s = round(time.monotonic() - self._started, 4)

    async def say(self, sentence: str, from_llm: bool = False) -> None:
        safe = self.filter.apply(sentence)
        if safe is None:
            return
        self.sentences.append(safe)
        self.llm_sentences += from_llm
        sink = self._owner.sentence_sink
        if sink is None or self.sink_failed:
            return
        try:
            await sink.put(self._interaction_id, safe)
        except Exception:  # speech trouble must not turn into an LLM failure
            self.sink_failed = True
            log.exception("llm: the sentence sink refused a sentence of %s", self._interaction_id)

    async def close(self, error: BaseException | None) -> None:
        sink = self._owner.sentence_sink
        if sink is None:
            return
        try:
            await sink.close(self._interaction_id, error)
        except Exception:
            log.exception("llm: closing the sentence sink for %s failed", self._interaction_id)


def create_default() -> Responder:
    """A responder with default settings; Claude when ANTHROPIC_API_KEY is set, else offline."""
    return Responder(api_key=os.environ.get("ANTHROPIC_API_KEY"))


_default = functools.cache(create_default)


async def process(task: Any) -> Reply:
    """The built-in AI_RESPONSE processor (entry point ``teddy.processors``)."""
    return await _default()(task)
