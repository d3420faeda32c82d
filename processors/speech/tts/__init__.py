"""Text-to-speech backends (hibari, Piper, espeak-ng), loudness, speaking rate and playback."""

from processors.speech.tts.base import OutputUnavailable, TtsBackend, TtsError, TtsUnavailable
from processors.speech.tts.chain import (
    BACKENDS,
    Synthesis,
    TtsChain,
    create_backend,
    fallback_order,
)
from processors.speech.tts.playback import AudioOutput, output_devices, resolve_output_device
from processors.speech.tts.rate import CHILD_RATE, SpeakingRate

__all__ = [
    "BACKENDS",
    "CHILD_RATE",
    "AudioOutput",
    "OutputUnavailable",
    "SpeakingRate",
    "Synthesis",
    "TtsBackend",
    "TtsChain",
    "TtsError",
    "TtsUnavailable",
    "create_backend",
    "fallback_order",
    "output_devices",
    "resolve_output_device",
]
