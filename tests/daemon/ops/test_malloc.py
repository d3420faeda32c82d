"""daemon/ops/malloc.py: the glibc levers apply on glibc and step aside when told to."""

from __future__ import annotations

import subprocess
import sys

import pytest

from daemon.ops import malloc

pytestmark = pytest.mark.skipif(malloc._libc() is None, reason="not glibc")


def test_trim_runs_after_freeing_memory() -> None:
    blocks = [bytearray(64 * 1024) for _ in range(200)]  # below the mmap threshold: heap
    del blocks
    assert malloc.trim() in (True, False)  # returns glibc's answer; must not raise


def _limit_in_child(env_value: str | None) -> str:
    env = {"PATH": "/usr/bin:/bin"}
    if env_value is not None:
        env["MALLOC_ARENA_MAX"] = env_value
    code = "from daemon.ops.malloc import limit_arenas; print(limit_arenas())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip()


def test_limit_arenas_applies_without_the_environment_variable() -> None:
    assert _limit_in_child(None) == "True"


def test_an_explicit_malloc_arena_max_wins() -> None:
    assert _limit_in_child("4") == "False"
