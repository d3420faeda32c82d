"""PyAV, imported only when an audio file is decoded.

faster-whisper imports PyAV (``av``) when it is imported, for ``decode_audio``. The daemon hands
it arrays and never decodes a file, and PyAV with its FFmpeg libraries holds ~16 MiB resident
(issue 11: memory at ready). :func:`defer` puts a stand-in in ``sys.modules["av"]`` before
faster-whisper is imported; the stand-in imports the real PyAV at its first attribute access
(``teddy transcribe talk.m4a``; libsndfile reads wav, flac, ogg and mp3 itself), so every
caller still gets PyAV when it uses it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_lock = threading.Lock()


class _DeferredModule(types.ModuleType):
    """``av`` until it is used; then every attribute comes from the real module."""

    def __init__(self, spec: Any) -> None:
        super().__init__("av")
        # A real spec, so ``import av`` (which reads ``__spec__``) takes the stand-in as it is.
        self.__spec__ = spec

    def __getattr__(self, name: str) -> Any:
        return getattr(_real(), name)


def _real() -> types.ModuleType:
    with _lock:
        current = sys.modules.get("av")
        if isinstance(current, _DeferredModule):
            del sys.modules["av"]  # so the import below loads the package itself
            try:
                return importlib.import_module("av")
            except BaseException:
                sys.modules["av"] = current
                raise
        if current is None:
            return importlib.import_module("av")
        return current


def defer() -> None:
    """Install the stand-in unless PyAV is imported already (or not installed: then faster-whisper
    fails on its own import, as it would without this)."""
    with _lock:
        if "av" in sys.modules:
            return
        spec = importlib.util.find_spec("av")
        if spec is not None:
            sys.modules["av"] = _DeferredModule(spec)


def loaded() -> bool:
    """True once the real PyAV is imported (for tests and the memory benchmark)."""
    current = sys.modules.get("av")
    return current is not None and not isinstance(current, _DeferredModule)
