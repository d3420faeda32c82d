"""Speech: the bear says the reply, sentence by sentence, while the reply is still streaming.

The :class:`Speaker` is both the response stage's ``SentenceSink`` (``put``/``close`` per
interaction) and the speech step (task type "speech", via ``__call__``). Per interaction a
producer synthesizes sentences into a one-slot clip queue while a player writes the previous clip
to the output device, so sentence k+1 is synthesized while sentence k plays. Only one interaction
holds the speaking turn at a time; ``on_speaking(True/False)`` tells capture to gate its VAD
(half-duplex). ``stop(interaction_id)`` — or cancelling the speech task — stops playback within
one playback block (``audio.playback_block_ms``) plus the device latency: the hook for barge-in
(``hold``/``release`` pause it while a barge-in is only suspected).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from processors.results import Reply, Spoken
from processors.speech.tts import playback
from processors.speech.tts.base import OutputUnavailable, TtsError
from processors.speech.tts.chain import TtsChain
from processors.speech.tts.line import OutputLine
from processors.speech.tts.loudness import DEFAULT_TARGET_DBFS, normalize
from processors.speech.tts.playback import AudioOutput, Output, PlayResult, Stream
from processors.speech.tts.rate import CHILD_RATE, SpeakingRate
from processors.speech.tts.text import clean_for_speech, speakable_sentences
from processors.speech.tts.utterance import Clip, Utterance

log = logging.getLogger(__name__)

AI_RESPONSE_TYPE = "ai_response"
_KEEP_FINISHED = 64  # finished interactions kept until their speech task collects the timings
HOLD_MAX_S = 1.0  # a pause for a suspected barge-in ends by itself after this (no verdict came)
_T = TypeVar("_T")


class Speaker:
    """Text-to-speech and playback for the bear; register it as the speech stage and pass it to
    the response stage as its ``sentence_sink``."""

    def __init__(
        self,
        backend: str = "hibari",
        fallback: bool = True,
        voice: str | None = None,
        rate: float = CHILD_RATE,
        output_device: int | str | None = None,
        target_dbfs: float = DEFAULT_TARGET_DBFS,
        on_speaking: Callable[[bool], None] | None = None,
        chain: TtsChain | None = None,
        output: Output | None = None,
        uri: str | None = None,
    ) -> None:
        self.chain = chain or TtsChain.from_config(
            backend, fallback, SpeakingRate(rate), voice, uri
        )
        self.output: Output = output or AudioOutput(output_device)
        self.target_dbfs = target_dbfs
        self.on_speaking = on_speaking
        self._utterances: OrderedDict[str, Utterance] = OrderedDict()
        self._turn = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the state belongs to
        self.speaking = False

    @classmethod
    def from_config(
        cls,
        tts: Mapping[str, Any],
        *,
        output: Output | None = None,
        on_speaking: Callable[[bool], None] | None = None,
    ) -> Speaker:
        """Build from the ``[tts]`` section (its keys are this constructor's arguments)."""
        return cls(**tts, output=output, on_speaking=on_speaking)

    async def aclose(self) -> None:
        """The daemon is stopping: close an output line kept open between replies."""
        if isinstance(self.output, OutputLine):
            await asyncio.to_thread(self.output.close)

    # -- loading and status --------------------------------------------------------------------
    async def load(self) -> str:
        """Load the TTS backend (with fallback) off the loop; returns the backend's name."""
        if isinstance(self.output, AudioOutput | OutputLine):
            await asyncio.to_thread(playback.warm_up)  # before READY, not mid-reply (see warm_up)
        return await asyncio.to_thread(self.chain.load)

    def status(self) -> dict[str, Any]:
        """For health/doctor: the active backend, backends that failed to load, the output."""
        try:
            device: str | None = self.output.describe()
            device_error = None
        except OutputUnavailable as exc:
            device, device_error = None, str(exc)
        return {
            "backend": self.chain.active,
            "backend_failures": dict(self.chain.failures),
            "output_device": device,
            "output_error": device_error,
            "speaking": self.speaking,
        }

    # -- the SentenceSink protocol -------------------------------------------------------------
    async def put(self, interaction_id: str, sentence: str) -> None:
        """Queue one sentence of a streaming reply; it is spoken as soon as the turn allows."""
        current = self._utterances.get(interaction_id)
        if current is not None and current.interrupted:
            current.text_chars += len(sentence)  # unsaid, but part of what was not heard
            return  # barged in: the rest of this reply stays unsaid
        utterance = self._utterance(interaction_id, streamed=True)
        utterance.sentences_in += 1
        utterance.text_chars += len(sentence)
        utterance.sentences.put_nowait(sentence)

    async def close(self, interaction_id: str, error: BaseException | None = None) -> None:
        """The reply stream of ``interaction_id`` ended; what was queued still plays out, unless
        the reply was cancelled (barge-in, shutdown): then the interaction is abandoned and its
        speech stops too (its speech task, cancelled before it ran, cannot do it)."""
        utterance = self._utterances.get(interaction_id)
        if utterance is None:
            utterance = self._utterance(interaction_id, streamed=True)
        if error is not None and utterance.reply_error is None:
            utterance.reply_error = f"{type(error).__name__}: {error}"
        self._close(utterance)
        if isinstance(error, asyncio.CancelledError):
            await self.stop(interaction_id)

    # -- control -------------------------------------------------------------------------------
    async def stop(self, interaction_id: str) -> bool:
        """Stop the interaction's speech now (barge-in); False if it was not speaking or queued."""
        utterance = self._utterances.get(interaction_id)
        if utterance is None or utterance.done.done():
            return False
        utterance.request_stop()
        self._close(utterance)
        utterance.wake()
        if not utterance.playing and utterance.worker is not None:
            utterance.worker.cancel()  # still waiting for its turn: nothing to stop on the device
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            async with asyncio.timeout(1.0):
                await asyncio.shield(utterance.done)
        return True

    async def interrupt(self) -> str | None:
        """Barge-in: stop whatever the bear is saying now; returns that interaction's id."""
        playing = self._playing()
        if playing is None:
            return None
        await self.stop(playing.interaction_id)
        return playing.interaction_id

    def hold(self, max_s: float = HOLD_MAX_S) -> bool:
        """A barge-in may be starting: the voice fades out where it is, and waits there for
        ``release`` (or ``interrupt``; or ``max_s``). False if nothing was playing."""
        playing = self._playing()
        if playing is not None:
            playing.pause(max_s)
        return playing is not None

    def release(self) -> None:
        """Not a barge-in after all: the voice goes on from where it paused."""
        for utterance in self._utterances.values():
            utterance.resume()

    def _playing(self) -> Utterance | None:
        return next((u for u in self._utterances.values() if u.playing and not u.done.done()), None)

    async def stop_all(self) -> None:
        for interaction_id in list(self._utterances):
            await self.stop(interaction_id)

    async def speak(self, interaction_id: str, text: str) -> Spoken:
        """Say ``text`` (not streamed) and wait until it has been played; returns the timings."""
        utterance = self._utterance(interaction_id, streamed=False)
        for sentence in speakable_sentences(text):
            utterance.sentences_in += 1
            utterance.text_chars += len(sentence)
            utterance.sentences.put_nowait(sentence)
        self._close(utterance)
        return await self._collect(utterance)

    # -- the speech stage ----------------------------------------------------------------------
    async def __call__(self, task: Any) -> Spoken:
        """The speech step: wait for a streamed interaction, else speak the reply."""
        payload: dict[str, Any] = task.payload
        interaction_id = str(payload.get("interaction_id") or task.id)
        utterance = self._utterances.get(interaction_id)
        if utterance is not None and utterance.sentences_in > 0:
            self._close(utterance)  # the reply task has finished: no more sentences will come
            return await self._collect(utterance)
        if utterance is not None:  # streamed nothing (e.g. the reply fell back to offline)
            self._forget(utterance)
        text = _reply_text(task)
        if not text.strip():
            return Spoken()
        return await self.speak(interaction_id, text)

    async def _collect(self, utterance: Utterance) -> Spoken:
        try:
            await asyncio.shield(utterance.done)
        except asyncio.CancelledError:
            await asyncio.shield(self.stop(utterance.interaction_id))  # cancelled task: go quiet
            raise
        finally:
            if utterance.done.done():
                self._forget(utterance)
        if utterance.fatal is not None and not utterance.spoken:
            raise utterance.fatal
        if utterance.errors and not utterance.spoken and not utterance.interrupted:
            raise TtsError("; ".join(utterance.errors))
        return utterance.result()

    # -- internals -----------------------------------------------------------------------------
    def _utterance(self, interaction_id: str, streamed: bool) -> Utterance:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # reused under a new loop (asyncio.run per `teddy chat`)
            self._loop, self._turn = loop, asyncio.Lock()
            self._utterances.clear()
        utterance = self._utterances.get(interaction_id)
        if utterance is not None and not utterance.closed:
            return utterance
        if utterance is not None:  # a new reply for the same interaction id
            self._forget(utterance)
        utterance = Utterance(interaction_id, streamed=streamed)
        self._utterances[interaction_id] = utterance
        utterance.worker = asyncio.create_task(
            self._run(utterance), name=f"teddy-speech-{interaction_id}"
        )
        # a worker cancelled before it ever ran skips its finally: settle ``done`` here too
        utterance.worker.add_done_callback(lambda _: utterance.settle())
        self._evict()
        return utterance

    def _close(self, utterance: Utterance) -> None:
        if not utterance.closed:
            utterance.closed = True
            utterance.sentences.put_nowait(None)

    def _forget(self, utterance: Utterance) -> None:
        if self._utterances.get(utterance.interaction_id) is utterance:
            del self._utterances[utterance.interaction_id]

    def _evict(self) -> None:
        finished = [k for k, u in self._utterances.items() if u.done.done()]
        for key in finished[: max(0, len(finished) - _KEEP_FINISHED)]:
            del self._utterances[key]

    async def _run(self, utterance: Utterance) -> None:
        producer = asyncio.create_task(self._synthesize(utterance))
        try:
            async with self._turn:  # one interaction speaks at a time
                utterance.playing = True
                await self._play(utterance)
        except asyncio.CancelledError:
            pass  # stopped before its turn came
        except (OutputUnavailable, TtsError) as exc:
            log.error("speech for %s failed: %s", utterance.interaction_id, exc)
            utterance.fatal = exc
        except Exception as exc:
            log.exception("speech for %s failed", utterance.interaction_id)
            utterance.fatal = exc
        finally:
            utterance.playing = False
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
            utterance.settle()

    async def _synthesize(self, utterance: Utterance) -> None:
        """Producer: sentences -> normalised clips, one ahead of playback."""
        while True:
            sentence = await utterance.sentences.get()
            if sentence is None or utterance.stop.is_set():
                await utterance.clips.put(None)
                return
            text = clean_for_speech(sentence)
            if not text:
                continue
            started = time.perf_counter()
            try:
                synthesis = await asyncio.to_thread(self.chain.synthesize, text)
            except TtsError as exc:
                await utterance.clips.put(exc)
                continue
            finally:
                utterance.synth_s += time.perf_counter() - started
            audio = normalize(synthesis.audio, synthesis.sample_rate, self.target_dbfs)
            clip = Clip(sentence, audio, synthesis.sample_rate, synthesis.backend)
            await utterance.clips.put(clip)

    async def _play(self, utterance: Utterance) -> None:
        """Player: clips -> the output device, in order, until the end or a stop."""
        stream: Stream | None = None
        try:
            while not utterance.stop.is_set():
                clip = await utterance.clips.get()
                if clip is None or utterance.stop.is_set():
                    break
                if isinstance(clip, BaseException):
                    utterance.errors.append(str(clip))
                    continue
                if stream is None:
                    stream = await asyncio.to_thread(self.output.open, clip.sample_rate)
                    self._set_speaking(True)
                utterance.spoken.append(clip.sentence)
                utterance.backends.append(clip.backend)
                played = await self._in_thread(
                    utterance,
                    stream.play,
                    clip.audio,
                    clip.sample_rate,
                    utterance.stop,
                    utterance.stop_requested_at,
                    utterance.hold,
                )
                self._account(utterance, played)
                clip_s = clip.audio.size / clip.sample_rate
                share = 1.0 if not played.interrupted else min(1.0, played.played_s / clip_s)
                utterance.heard_chars += len(clip.sentence) * share
            if stream is not None:
                await self._in_thread(
                    utterance, stream.finish, utterance.stop, utterance.stop_requested_at
                )
                if utterance.stop.is_set() and utterance.stop_latency_s is None:
                    utterance.stop_latency_s = utterance.since_stop()
        finally:
            if stream is not None:
                await asyncio.to_thread(stream.close)
                self._set_speaking(False)

    async def _in_thread(self, utterance: Utterance, fn: Callable[..., _T], *args: Any) -> _T:
        """Run blocking playback in a thread; if we are cancelled meanwhile, stop the device and
        wait for the thread to let go of the stream before propagating the cancellation."""
        future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            utterance.request_stop()
            with contextlib.suppress(Exception):
                await future
            raise

    @staticmethod
    def _account(utterance: Utterance, played: PlayResult) -> None:
        if utterance.first_audio_at is None and played.first_audio_at is not None:
            utterance.first_audio_at = played.first_audio_at
        utterance.audio_s += played.played_s
        if played.stop_latency_s is not None:
            utterance.stop_latency_s = played.stop_latency_s

    def _set_speaking(self, speaking: bool) -> None:
        self.speaking = speaking
        if self.on_speaking is not None:
            try:
                self.on_speaking(speaking)
            except Exception:  # capture's gate must never break speech
                log.exception("on_speaking(%s) callback failed", speaking)


def _reply_text(task: Any) -> str:
    """The text to say: the ai_response dependency's ``reply``, else payload ``text``."""
    getter = getattr(task, "dependency_result", None)
    reply = Reply.of(getter(AI_RESPONSE_TYPE) if callable(getter) else None)
    if reply is not None and isinstance(reply.reply, str):
        return reply.reply
    text = task.payload.get("text")
    return text if isinstance(text, str) else ""


def create_default() -> Speaker:
    """hibari voice "heart" on the default output (other engines as fallback); loads lazily."""
    return Speaker()


_default = functools.cache(create_default)


async def process(task: Any) -> Spoken:
    """The built-in speech processor (entry point ``teddy.processors``, task type "speech")."""
    return await _default()(task)
