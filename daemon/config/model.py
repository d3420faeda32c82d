"""The whole configuration: one section per table of teddy.toml."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from daemon.config.alerts import AlertsConfig
from daemon.config.base import Section
from daemon.config.family import MemoryConfig, ParentalConfig
from daemon.config.pipeline import PipelineConfig, PluginTarget
from daemon.config.sections import (
    AudioConfig,
    ChildConfig,
    EmotionConfig,
    HealthConfig,
    HistoryConfig,
    LlmConfig,
    LoggingConfig,
    ProcessorConfig,
    SttConfig,
    TtsConfig,
    VadConfig,
    WyomingConfig,
)

PluginName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][\w.-]*$")]


class TeddyConfig(Section):
    child: ChildConfig = Field(default_factory=ChildConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    audio: AudioConfig = Field(default_factory=AudioConfig)
    vad: VadConfig = Field(default_factory=VadConfig)
    stt: SttConfig = Field(default_factory=SttConfig)
    emotion: EmotionConfig = Field(default_factory=EmotionConfig)
    parental: ParentalConfig = Field(default_factory=ParentalConfig)
    memory: MemoryConfig = Field(default_factory=MemoryConfig)
    wyoming: WyomingConfig = Field(default_factory=WyomingConfig)
    llm: LlmConfig = Field(default_factory=LlmConfig)
    tts: TtsConfig = Field(default_factory=TtsConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    processor: ProcessorConfig = Field(default_factory=ProcessorConfig)
    #: task type -> "package.module:function" (same registry as entry points)
    plugins: dict[PluginName, PluginTarget] = Field(default_factory=dict)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
