"""glibc malloc levers for a daemon that must stay small for months (issue 11, point 6).

* ``limit_arenas()``: glibc gives every thread that allocates its own arena (up to 8 per core),
  and the models load in worker threads, so freed loading buffers stay scattered over arenas
  that are never returned. Two arenas is what ``MALLOC_ARENA_MAX=2`` in the systemd units does;
  calling ``mallopt`` here gives ``teddy run`` started by hand the same. An explicit
  ``MALLOC_ARENA_MAX`` in the environment wins (glibc read it at start).
* ``trim()``: ``malloc_trim(0)`` once the models are loaded hands the freed parsing buffers
  (JSON lexicons, tokenizer files, model reads) back to the kernel.

Both are no-ops off glibc (musl, macOS): nothing to tune there, nothing fails.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from typing import Any

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
ARENAS = 2


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


def trim() -> bool:
    """Return freed heap memory to the kernel; True if glibc released some."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
