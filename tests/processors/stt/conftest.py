"""Session fixtures: synthesized speech clips and each STT model, loaded once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from processors.stt.stage import Transcriber
from tests.processors.stt.clips import Clip, make_clips

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def piper_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    pytest.importorskip("piper")
    return make_clips(tmp_path_factory.mktemp("stt_clips"))


@pytest.fixture(scope="session")
def stt_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stt_cache")


@pytest.fixture(scope="session")
def fw_stage() -> Transcriber:
    stage = Transcriber(backend="faster-whisper", cpu_threads=2)
    stage.load_sync()
    return stage


@pytest.fixture(scope="session")
def ow_stage(stt_cache: Path) -> Iterator[Transcriber]:
    pytest.importorskip("whisper")
    stage = Transcriber(backend="openai-whisper", cpu_threads=2, cache_dir=stt_cache)
    stage.load_sync()
    yield stage
