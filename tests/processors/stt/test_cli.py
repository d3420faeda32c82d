"""`teddy transcribe` and `teddy models` end to end (real model, real files)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from daemon.commands import models, transcribe
from processors.stt.wer import wer
from tests.processors.stt.clips import Clip, encode_with_pyav

pytestmark = pytest.mark.slow


def teddy(*argv: str) -> int:
    """Run one of our sub-commands the way daemon.cli does (register, parse, func)."""
    parser = argparse.ArgumentParser(prog="teddy")
    sub = parser.add_subparsers()
    transcribe.register(sub)
    models.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture(scope="module")
def audio_files(piper_clips: list[Clip], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("cli_audio")
    files = []
    for clip, ext in zip(piper_clips[:3], ("wav", "flac", "ogg"), strict=True):
        path = folder / f"{clip.name}.{ext}"
        sf.write(path, clip.audio(), 16_000)
        files.append(path)
    files.append(encode_with_pyav(piper_clips[3].audio(), folder / "clip.mp3", "mp3"))
    return files


def test_json_lines_for_every_format_and_a_corrupt_file_does_not_stop_the_rest(
    audio_files: list[Path],
    piper_clips: list[Clip],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00junk" * 50)
    files = [*audio_files[:2], corrupt, *audio_files[2:]]
    assert teddy("transcribe", "--json", *map(str, files)) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in records] == [str(f) for f in files]
    assert "corrupt.wav" in records[2]["error"]
    good = [r for r in records if "error" not in r]
    for record, clip in zip(good, piper_clips[:4], strict=True):
        assert wer([(clip.text, record["text"])]) <= 0.15  # lossy mp3/ogg; fixed Piper clips
        assert record.keys() >= {"segments", "duration_s", "processing_s"}
        assert record["duration_s"] > 1.0


def test_plain_output_and_exit_zero(
    audio_files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert teddy("transcribe", str(audio_files[0])) == 0
    assert "red ball" in capsys.readouterr().out


def test_silence_file_is_reported_as_no_speech(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros(32_000, np.float32), 16_000)
    assert teddy("transcribe", "--json", str(path)) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == "" and "silence" in record["rejected"]


def test_models_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert teddy("models", "list") == 0
    assert "tiny.en  installed" in capsys.readouterr().out


def test_export_openai_whisper_loads_in_whisper(tmp_path: Path) -> None:
    whisper = pytest.importorskip("whisper")
    out = tmp_path / "tiny_en.pt"
    assert teddy("models", "export-openai-whisper", str(out)) == 0
    model = whisper.load_model(str(out), device="cpu")
    assert model.dims.n_text_layer == 4 and not model.is_multilingual


def test_export_of_a_missing_model_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert teddy("models", "export-openai-whisper", str(tmp_path / "x.pt"), "--model", "nope") == 1
    assert "neither a bundled model" in capsys.readouterr().err
