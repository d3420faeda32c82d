"""Exceptions of the job processor and of the stage processors."""

from __future__ import annotations


class ProcessorError(Exception):
    """Base class of every error raised by the processor package."""


class BadAudio(ProcessorError, ValueError):
    """The audio of a task cannot be used (empty, NaN, wrong dtype, too long...)."""


class UtteranceRejected(ProcessorError):
    """The utterance is not speech (silence, noise, a Whisper hallucination).

    Raised by transcription; the task fails and its dependents are cancelled naming this reason,
    so the interaction ends quietly with a recorded reason instead of a made-up transcript.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
