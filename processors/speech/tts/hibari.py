"""hibari-tts backend (Apache-2.0): the default voice "heart" ships inside the wheel, 24 kHz.

Its other voices would be downloaded from a model hub on first use; teddy never downloads at run
time, so those are refused unless already present in hibari's cache (copied there by hand).
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from typing import Any

import numpy as np

from processors.speech.tts.base import Float32Array, TtsUnavailable
from processors.speech.tts.hibari_lexicon import pack_lexicon
from processors.speech.tts.hibari_tagger import pack_tagger
from processors.speech.tts.rate import SpeakingRate

DEFAULT_VOICE = "heart"


class HibariBackend:
    """Synthesizes with hibari; ``load()`` costs about 0.5 s once."""

    name = "hibari"

    def __init__(
        self, voice: str = DEFAULT_VOICE, rate: SpeakingRate | None = None, threads: int = 1
    ) -> None:
        self.voice = voice
        self.rate = rate or SpeakingRate()
        self.threads = threads
        self._tts: Any = None
        self._lock = threading.Lock()  # one onnxruntime run at a time per session

    @property
    def sample_rate(self) -> int:
        return 24_000

    def load(self) -> None:
        if self._tts is not None:
            return
        try:
            _import_dsp_with_numpy_fft()
            from hibari import Hibari
            from hibari.voices import VOICES, voice_path
        except ImportError as exc:
            raise TtsUnavailable(
                f"hibari-tts is not installed ({exc}); pip install hibari-tts==0.2.1"
            ) from exc
        if self.voice not in VOICES:
            raise TtsUnavailable(
                f"hibari has no voice {self.voice!r}; known voices: {', '.join(VOICES)}"
            )
        try:
            # download_missing=False: a voice neither bundled nor cached is refused, never fetched
            model = voice_path(self.voice, download_missing=False)
        except FileNotFoundError as exc:
            raise TtsUnavailable(
                f"hibari voice {self.voice!r} is not bundled with the package and teddy does not "
                f"download voices at run time; only {DEFAULT_VOICE!r} works offline "
                f"(or copy the voice file by hand to {exc.args[0]})"
            ) from exc
        try:
            tts = Hibari(voice=self.voice, model=model, threads=self.threads)
            tts.sess = _session_without_arena(model, self.threads)
            # Same pronunciations from arrays instead of ~100 MiB of dicts (issue 11, point 6)
            pack_tagger(tts.g2p)
            pack_lexicon(tts.g2p)
            tts("Hello.")  # warm-up: loads the G2P lexicons now, not on the first reply
        except Exception as exc:
            raise TtsUnavailable(f"hibari could not load voice {self.voice!r}: {exc}") from exc
        self._tts = tts

    def synthesize(self, text: str) -> Float32Array:
        self.load()
        with self._lock:
            audio = self._tts(text, speed=self.rate.hibari_speed)
        return np.asarray(audio, dtype=np.float32)


def _import_dsp_with_numpy_fft() -> None:
    """Import ``hibari.dsp`` so that it takes numpy's FFT. It picks scipy.fft whenever that
    imports, and scipy.fft held ~27 MiB at ready (issue 11) to save ~1-2 ms per sentence.
    If something already imported scipy.fft, there is nothing to save and nothing is hidden."""
    if "hibari.dsp" in sys.modules or "scipy.fft" in sys.modules:
        return
    # Hidden from this thread only: another thread importing scipy (the enhancement stage) is
    # unaffected, and no import lock is held (holding one while importing can deadlock).
    finder = _HideFromThisThread({"scipy", "scipy.fft"})
    sys.meta_path.insert(0, finder)
    try:
        import hibari.dsp  # noqa: F401
    finally:
        sys.meta_path.remove(finder)


class _HideFromThisThread(importlib.abc.MetaPathFinder):
    """A finder that makes importing ``names`` fail in the thread that created it."""

    def __init__(self, names: set[str]) -> None:
        self.names, self.thread = names, threading.get_ident()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname in self.names and threading.get_ident() == self.thread:
            raise ModuleNotFoundError(f"{fullname} is hidden from hibari: numpy's FFT is enough")


def _session_without_arena(model: str, threads: int) -> Any:
    """The voice's onnxruntime session without the CPU memory arena. hibari opens it with the
    arena, which keeps the buffers of the longest sentence said so far: +40 MiB resident after
    one 25-word sentence, for good. Without it a sentence takes ~6% longer (0.104 -> 0.110 s for
    that one); opening the session again costs ~0.1-0.2 s once, at load."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = threads
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
