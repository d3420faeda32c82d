"""What every text-to-speech backend offers, and the errors speech can raise."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from processors.engine.errors import ProcessorError

Float32Array = npt.NDArray[np.float32]


class TtsError(ProcessorError):
    """Speech could not be produced or played."""


class TtsUnavailable(TtsError):
    """A backend cannot be loaded here (package, voice or program missing)."""


class OutputUnavailable(TtsError):
    """No audio output: PortAudio missing, no output device, or the named device is absent."""


class TtsBackend(Protocol):
    """A loaded-on-demand synthesizer: one sentence of text in, mono float32 audio out."""

    name: str

    @property
    def sample_rate(self) -> int: ...

    def load(self) -> None:
        """Load the model once (blocking); raise TtsUnavailable if it cannot be used here."""

    def synthesize(self, text: str) -> Float32Array:
        """Blocking: ``text`` (one sentence) -> float32 mono audio in -1..1 at ``sample_rate``."""
