"""daemon/ops/malloc.py: the glibc levers apply on glibc and step aside when told to."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from daemon.ops import malloc

pytestmark = pytest.mark.skipif(malloc._libc() is None, reason="not glibc")


def test_trim_runs_after_freeing_memory() -> None:
    blocks = [bytearray(64 * 1024) for _ in range(200)]  # below the mmap threshold: heap
    del blocks
    assert malloc.trim() in (True, False)  # returns glibc's answer; must not raise


def _limit_in_child(
    env_value: str | None, variable: str = "MALLOC_ARENA_MAX", call: str = "limit_arenas"
) -> str:
    env = {"PATH": "/usr/bin:/bin"}
    if env_value is not None:
        env[variable] = env_value
    code = f"from daemon.ops.malloc import {call}; print({call}())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.strip()


def test_limit_arenas_applies_without_the_environment_variable() -> None:
    assert _limit_in_child(None) == "True"


def test_an_explicit_malloc_arena_max_wins() -> None:
    assert _limit_in_child("4") == "False"


def test_fix_mmap_threshold_applies_without_the_environment_variable() -> None:
    assert _limit_in_child(None, "MALLOC_MMAP_THRESHOLD_", "fix_mmap_threshold") == "True"


def test_an_explicit_mmap_threshold_wins() -> None:
    assert _limit_in_child("65536", "MALLOC_MMAP_THRESHOLD_", "fix_mmap_threshold") == "False"


def test_relax_mmap_threshold_applies_and_steps_aside_like_fix() -> None:
    assert _limit_in_child(None, "MALLOC_MMAP_THRESHOLD_", "relax_mmap_threshold") == "True"
    assert _limit_in_child("65536", "MALLOC_MMAP_THRESHOLD_", "relax_mmap_threshold") == "False"


def test_mkl_frees_its_buffers_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MKL_DISABLE_FAST_MM", raising=False)
    malloc.no_mkl_buffer_cache()
    assert os.environ["MKL_DISABLE_FAST_MM"] == "1"
    monkeypatch.setenv("MKL_DISABLE_FAST_MM", "0")  # an explicit setting wins
    malloc.no_mkl_buffer_cache()
    assert os.environ["MKL_DISABLE_FAST_MM"] == "0"
