"""Speculative transcription: a decode started at a pause is reused only for identical audio."""

from __future__ import annotations

import threading

import numpy as np

from processors.audio.samples import Float32Array
from processors.results import Transcription
from processors.stt.speculation import SpeculationCache
from processors.stt.stage import Transcriber
from tests.processors.stt.fakes import MiniTask, ScriptedBackend, segment
from tests.processors.stt.real import real_clip


def _speech() -> Float32Array:
    return real_clip("praatio_mary").audio()


async def test_identical_audio_reuses_the_speculative_decode() -> None:
    backend = ScriptedBackend(segment(" Mary rolled the barrel."))
    stage = Transcriber.with_backend(backend)
    audio = _speech()
    assert stage.speculate(audio)
    assert not stage.speculate(audio.copy())  # already under way
    result = await stage(MiniTask({"audio_data": audio.copy()}))
    assert result.text == "Mary rolled the barrel."
    assert len(backend.calls) == 1
    assert stage.speculation is not None
    assert stage.speculation.stats.hits == 1 and stage.speculation.stats.wasted == 0


async def test_different_audio_decodes_afresh_and_counts_the_speculation_as_wasted() -> None:
    backend = ScriptedBackend(segment(" Mary rolled the barrel."))
    stage = Transcriber.with_backend(backend)
    audio = _speech()
    stage.speculate(audio[: len(audio) // 2])  # the pause came mid-sentence
    await stage(MiniTask({"audio_data": audio}))
    assert stage.speculation is not None
    stats = stage.speculation.stats
    assert stats.hits == 0 and stats.wasted + stats.cancelled == 1
    assert len(backend.calls) in (1, 2)  # 1 if the stale one was cancelled before it began


async def test_a_rejection_found_speculatively_is_the_tasks_rejection() -> None:
    stage = Transcriber.with_backend(ScriptedBackend(segment(" Thank you.", logprob=-2.5)))
    audio = _speech()
    stage.speculate(audio)
    try:
        await stage(MiniTask({"audio_data": audio}))
    except Exception as exc:  # the same UtteranceRejected a direct decode raises
        assert "log-prob" in str(exc)
    else:
        raise AssertionError("expected a rejection")


def test_no_speculation_before_the_model_is_loaded_or_when_switched_off() -> None:
    assert not Transcriber().speculate(_speech())
    off = Transcriber.with_backend(ScriptedBackend(segment(" x")), speculative=False)
    assert off.speculation is None and not off.speculate(_speech())


def test_resumed_speech_abandons_pending_decodes_and_counts_running_ones() -> None:
    gate = threading.Event()
    started = threading.Event()

    def slow(audio: Float32Array, language: str | None) -> Transcription:
        started.set()
        gate.wait(5)
        return Transcription(text="x", segments=[], language="en", duration_s=1.0)

    cache = SpeculationCache(slow, keep=4)
    a, b = np.zeros(100, np.float32), np.ones(100, np.float32)
    cache.start(a, "en")
    started.wait(5)  # a is running
    cache.start(b, "en")  # b waits behind it
    cache.abandon()
    gate.set()
    assert cache.stats.started == 2 and cache.stats.cancelled == 1 and cache.stats.wasted == 1
    assert cache.take(a, "en") is None
    cache.close()


def test_the_key_is_the_exact_samples_and_language() -> None:
    calls: list[int] = []

    def decode(audio: Float32Array, language: str | None) -> Transcription:
        calls.append(len(audio))
        return Transcription(text="x", segments=[], language="en", duration_s=1.0)

    cache = SpeculationCache(decode)
    audio = np.linspace(-0.1, 0.1, 1000, dtype=np.float32)
    cache.start(audio, "en")
    changed = audio.copy()
    changed[-1] += 1e-6
    assert cache.take(changed, "en") is None
    cache.start(audio, "en")
    assert cache.take(audio, None) is None
    cache.start(audio, "en")
    future = cache.take(audio, "en")
    assert future is not None and future.result(5).text == "x"
    cache.close()


async def test_the_decode_under_way_can_be_read_and_is_still_reused() -> None:
    # semantic end-of-turn reads the text at the pause; the transcription task then takes it
    backend = ScriptedBackend(segment(" Mary rolled the barrel."))
    stage = Transcriber.with_backend(backend)
    audio = _speech()
    assert stage.speculation_of(audio) is None  # nothing started yet
    stage.speculate(audio)
    future = stage.speculation_of(audio.copy())
    assert future is not None and future.result(timeout=30).text == "Mary rolled the barrel."
    assert stage.speculation_of(audio[:-1]) is None  # other audio: no answer
    result = await stage(MiniTask({"audio_data": audio.copy()}))
    assert result.text == "Mary rolled the barrel." and len(backend.calls) == 1
    assert stage.speculation is not None and stage.speculation.stats.hits == 1
