"""The speech-to-text stage (AUDIO_TRANSCRIPTION): backends, models, window, hallucination guard."""

from processors.stt.backends import BACKENDS, SttBackend, create_backend
from processors.stt.guard import GuardConfig, HallucinationGuard
from processors.stt.models import DEFAULT_MODEL, ModelNotFound
from processors.stt.types import Segment, Transcript

__all__ = [
    "BACKENDS",
    "DEFAULT_MODEL",
    "GuardConfig",
    "HallucinationGuard",
    "ModelNotFound",
    "Segment",
    "SttBackend",
    "Transcript",
    "create_backend",
]
