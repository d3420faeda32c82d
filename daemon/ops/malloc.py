"""glibc malloc levers for a daemon that must stay small for months (issue 11, point 6).

* ``limit_arenas()``: glibc gives every thread that allocates its own arena (up to 8 per core),
  and the models load in worker threads, so freed loading buffers stay scattered over arenas
  that are never returned. Two arenas is what ``MALLOC_ARENA_MAX=2`` in the systemd units does;
  calling ``mallopt`` here gives ``teddy run`` started by hand the same. An explicit
  ``MALLOC_ARENA_MAX`` in the environment wins (glibc read it at start).
* ``fix_mmap_threshold()`` / ``relax_mmap_threshold()``: glibc serves blocks of 128 KiB and more
  with their own mmap, returned to the kernel on free, but after the first such free it raises
  that threshold (up to 32 MiB), so the multi-MiB buffers of models loading in parallel threads
  land on the heap and stay there, scattered. A fixed 128 KiB threshold while the models load
  keeps them out of the heap: RSS at ready 318-339 -> 311-312 MiB, the same at every start.
  Kept fixed, it would slow every decode (each big buffer a fresh mmap: STT 3 s clip ~590 ->
  ~900 ms, measured), so once loaded the threshold goes to glibc's own ceiling (32 MiB, trim at
  64 MiB) and inference allocates as it did before. ``MALLOC_MMAP_THRESHOLD_`` in the
  environment wins: then neither call does anything.
* ``trim()``: ``malloc_trim(0)`` once the models are loaded hands the freed parsing buffers
  (JSON lexicons, tokenizer files, model reads) back to the kernel.
* ``no_mkl_buffer_cache()``: CTranslate2's wheel carries Intel MKL, whose allocator keeps the
  buffers it freed for reuse; ``MKL_DISABLE_FAST_MM=1`` (read at MKL's first use) makes it free
  them: RSS at ready -5 MiB, a 3 s transcription as fast (p50 0.41 vs 0.40 s, three alternating
  runs of 25). An explicit ``MKL_DISABLE_FAST_MM`` in the environment wins.

The glibc ones are no-ops off glibc (musl, macOS): nothing to tune there, nothing fails.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from typing import Any

M_ARENA_MAX = -8  # glibc's mallopt parameter numbers (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
ARENAS = 2
LOADING_MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, made fixed
RUNNING_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's ceiling for its own raising (64-bit)


@functools.cache
def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "mallopt") or not hasattr(libc, "malloc_trim"):
        return None  # not glibc
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas, unless ``MALLOC_ARENA_MAX`` is set; True if applied."""
    libc = _libc()
    if libc is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def fix_mmap_threshold(size: int = LOADING_MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold, unless ``MALLOC_MMAP_THRESHOLD_`` is set; True if applied."""
    libc = _libc()
    if libc is None or os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, size))


def relax_mmap_threshold(size: int = RUNNING_MMAP_THRESHOLD) -> bool:
    """After loading: big buffers on the heap again, as glibc would have it; True if applied."""
    libc = _libc()
    if libc is None or os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, size) and libc.mallopt(M_TRIM_THRESHOLD, 2 * size))


def trim() -> bool:
    """Return freed heap memory to the kernel; True if glibc released some."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def no_mkl_buffer_cache() -> None:
    """Before the STT model loads: MKL frees its buffers instead of caching them."""
    os.environ.setdefault("MKL_DISABLE_FAST_MM", "1")
