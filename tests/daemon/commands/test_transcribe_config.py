"""`teddy transcribe` builds its Transcriber from [stt] exactly as the daemon does: every key from
the config file and the environment applies, and the command-line flags win."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from daemon.commands import transcribe
from daemon.config import SttConfig
from processors.stt.stage import Transcriber


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="teddy")
    transcribe.register(parser.add_subparsers())
    return parser.parse_args(["transcribe", *argv])


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Transcriber]:
    """The Transcriber the command builds; loading stops there (no model needed)."""
    seen: list[Transcriber] = []

    def stop(self: Transcriber) -> None:
        seen.append(self)
        raise OSError("not loading in this test")

    monkeypatch.setattr(Transcriber, "load_sync", stop)
    return seen


def test_config_file_and_environment_reach_the_transcriber(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[Transcriber]
) -> None:
    config = tmp_path / "teddy.toml"
    config.write_text("[stt]\nencoder_window_s = 12\nno_speech_threshold = 0.3\n")
    monkeypatch.setenv("TEDDY_STT__BEAM_SIZE", "3")
    assert transcribe.run(_args("--config", str(config), "x.wav")) == 1
    [stage] = built
    assert stage.encoder_window is not None and stage.encoder_window.min_s == 12
    assert stage.guard.config.no_speech_threshold == 0.3
    assert stage.beam_size == 3


def test_flags_override_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[Transcriber]
) -> None:
    monkeypatch.setenv("TEDDY_STT__ENCODER_WINDOW_S", "0")
    assert transcribe.run(_args("--beam-size", "2", "--language", "", "x.wav")) == 1
    [stage] = built
    assert stage.encoder_window is None  # 0: the full 30 s window
    assert stage.beam_size == 2 and stage.language is None


def test_from_config_takes_every_stt_key() -> None:
    stage = Transcriber.from_config(SttConfig().model_dump())
    assert stage.model == "tiny.en" and stage.beam_size == 5 and stage.language == "en"
