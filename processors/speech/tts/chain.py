"""Backend choice with fallback: (a Wyoming server →) hibari → piper → espeak-ng.

The configured backend comes first, then the remaining ones in that order. A backend that fails to
load is skipped (the reason is kept for health/doctor); a backend that fails on one sentence hands
that sentence to the next one, so the child still hears something.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from processors.speech.tts.base import Float32Array, TtsBackend, TtsError, TtsUnavailable
from processors.speech.tts.espeak import EspeakBackend
from processors.speech.tts.hibari import DEFAULT_VOICE, HibariBackend
from processors.speech.tts.piper import PiperBackend
from processors.speech.tts.rate import SpeakingRate

if TYPE_CHECKING:
    from processors.wyoming_link import WyomingLink

log = logging.getLogger(__name__)

LOCAL_BACKENDS = ("hibari", "piper", "espeak-ng")
BACKENDS = (*LOCAL_BACKENDS, "wyoming")


def create_backend(
    name: str,
    rate: SpeakingRate | None = None,
    voice: str | None = None,
    uri: str | None = None,
) -> TtsBackend:
    """A (not yet loaded) backend by its config name; ``voice`` is backend-specific; ``uri`` is
    the Wyoming server of backend "wyoming"."""
    rate = rate or SpeakingRate()
    if name == "wyoming":
        try:
            from processors.speech.tts.wyoming import WyomingTtsBackend
        except ImportError as exc:
            raise TtsUnavailable(f"{exc}; pip install 'teddy[wyoming]'") from exc
        if not uri:
            raise ValueError("tts.backend 'wyoming' needs tts.uri (tcp://HOST:PORT or unix://PATH)")
        log.warning(
            "tts.rate applies to the local engines only; a Wyoming server speaks at its own "
            "pace (for this rate start wyoming-piper with --length-scale %.2f)",
            rate.piper_length_scale,
        )
        return WyomingTtsBackend(uri, voice)
    if name == "hibari":
        return HibariBackend(voice=voice or DEFAULT_VOICE, rate=rate)
    if name == "piper":
        return PiperBackend(model_path=voice, rate=rate)
    if name == "espeak-ng":
        return EspeakBackend(voice=voice or "en-us", rate=rate)
    raise ValueError(f"tts.backend {name!r} is not one of {', '.join(BACKENDS)}")


def fallback_order(preferred: str) -> list[str]:
    if preferred not in BACKENDS:
        raise ValueError(f"tts.backend {preferred!r} is not one of {', '.join(BACKENDS)}")
    if preferred == "wyoming":
        # Piper first: a Wyoming server is usually wyoming-piper with the same joe voice, so a
        # sentence spoken locally mid-reply does not change the bear's voice (if teddy[piper])
        return ["wyoming", "piper", "hibari", "espeak-ng"]
    return [preferred, *(b for b in LOCAL_BACKENDS if b != preferred)]


@dataclass(frozen=True)
class Synthesis:
    audio: Float32Array
    sample_rate: int
    backend: str


class TtsChain:
    """Ordered backends; loads lazily, falls back on load or synthesis failure."""

    def __init__(self, factories: Sequence[Callable[[], TtsBackend]]) -> None:
        if not factories:
            raise ValueError("TtsChain needs at least one backend")
        self._factories = list(factories)
        self._loaded: dict[int, TtsBackend] = {}
        self._failed: set[int] = set()
        self.failures: dict[str, str] = {}  # backend name -> why it could not load
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls,
        backend: str = "hibari",
        fallback: bool = True,
        rate: SpeakingRate | None = None,
        voice: str | None = None,
        uri: str | None = None,
    ) -> TtsChain:
        names = fallback_order(backend) if fallback else [backend]
        # the voice option belongs to the configured backend only
        makers: list[Callable[[], TtsBackend]] = [
            functools.partial(create_backend, n, rate, voice if n == backend else None, uri)
            for n in names
        ]
        return cls(makers)

    def links(self) -> list[WyomingLink]:
        """The Wyoming links of loaded remote backends, for health."""
        with self._lock:
            backends = list(self._loaded.values())
        return [b.link for b in backends if hasattr(b, "link")]

    def _backend(self, index: int) -> TtsBackend | None:
        """The loaded backend at ``index``, or None if it cannot load (reason recorded once)."""
        with self._lock:
            if index in self._loaded:
                return self._loaded[index]
            if index in self._failed:
                return None
            factory = self._factories[index]
            name = str(getattr(factory, "args", (f"backend {index}",))[0])
            try:
                backend = factory()  # a remote backend without its package fails here
                name = backend.name
                backend.load()
            except (TtsUnavailable, OSError, ValueError) as exc:
                self._failed.add(index)
                self.failures[name] = str(exc)
                log.warning("TTS backend %s unavailable: %s", name, exc)
                return None
            self._loaded[index] = backend
            return backend

    def load(self) -> str:
        """Load the first usable backend; return its name or raise TtsUnavailable listing why."""
        for index in range(len(self._factories)):
            backend = self._backend(index)
            if backend is not None:
                return backend.name
        raise TtsUnavailable(f"no TTS backend can be loaded: {self.failures}")

    @property
    def active(self) -> str | None:
        """Name of the first loaded backend (what speaks unless it fails)."""
        with self._lock:
            return self._loaded[min(self._loaded)].name if self._loaded else None

    def synthesize(self, text: str) -> Synthesis:
        errors: list[str] = []
        for index in range(len(self._factories)):
            backend = self._backend(index)
            if backend is None:
                continue
            try:
                audio = backend.synthesize(text)
            except (TtsError, OSError, RuntimeError, ValueError) as exc:
                log.warning("TTS backend %s failed on %r: %s", backend.name, text[:60], exc)
                errors.append(f"{backend.name}: {exc}")
                continue
            return Synthesis(audio, backend.sample_rate, backend.name)
        raise TtsError(
            "no TTS backend could speak the sentence: " + "; ".join(errors or [str(self.failures)])
        )
