"""The job processor's enums: task types, priorities and statuses (imported by everything else)."""

from __future__ import annotations

import enum


class ProcessingType(enum.StrEnum):
    """Built-in task types. A ``str`` subclass, so a plug-in's plain string type mixes freely."""

    AUDIO_TRANSCRIPTION = "audio_transcription"
    AUDIO_ENHANCEMENT = "audio_enhancement"
    AI_RESPONSE = "ai_response"
    EMOTION_ANALYSIS = "emotion_analysis"
    IMAGE_GENERATION = "image_generation"
    IMAGE_PROCESSING = "image_processing"
    TEXT_ANALYSIS = "text_analysis"
    DATA_ANALYTICS = "data_analytics"
    DATABASE_OPERATION = "database_operation"
    NOTIFICATION = "notification"
    CUSTOM = "custom"


class TaskPriority(enum.IntEnum):
    """Lower value starts first."""

    CRITICAL = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4
    BATCH = 5


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"

    @property
    def is_terminal(self) -> bool:
        return self not in (TaskStatus.PENDING, TaskStatus.RUNNING)
