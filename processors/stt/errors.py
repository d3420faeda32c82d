"""Errors of the transcription stage."""

from __future__ import annotations

from processors.engine.errors import ProcessorError


class UtteranceRejected(ProcessorError):
    """The utterance is not speech (silence, noise, a Whisper hallucination).

    Raised by transcription; the task fails and its dependents are cancelled naming this reason,
    so the interaction ends quietly with a recorded reason instead of a made-up transcript.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
