"""The CTranslate2 model.bin reader on hand-written files."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from processors.stt.ct2_format import CT2FormatError, read_ct2_model


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def _variable(name: str, array: np.ndarray, dtype_id: int) -> bytes:
    raw = array.tobytes()
    dims = b"".join(struct.pack("<I", d) for d in array.shape)
    head = _string(name) + struct.pack("<B", array.ndim) + dims + struct.pack("<B", dtype_id)
    return head + struct.pack("<I", len(raw)) + raw


def _write(path: Path, variables: bytes, count: int, aliases: list[tuple[str, str]]) -> Path:
    body = struct.pack("<I", 6) + _string("WhisperSpec") + struct.pack("<I", 3)
    body += struct.pack("<I", count) + variables + struct.pack("<I", len(aliases))
    body += b"".join(_string(a) + _string(t) for a, t in aliases)
    path.write_bytes(body)
    return path


def test_reads_variables_dtypes_shapes_and_aliases(tmp_path: Path) -> None:
    w = np.arange(6, dtype=np.float16).reshape(2, 3)
    heads = np.array(6, dtype=np.int16)
    path = _write(
        tmp_path / "model.bin",
        _variable("enc/w", w, 4) + _variable("enc/num_heads", heads, 2),
        2,
        [("dec/proj", "enc/w")],
    )
    model = read_ct2_model(path)
    assert (model.version, model.spec, model.revision) == (6, "WhisperSpec", 3)
    np.testing.assert_array_equal(model.get("enc/w"), w)
    assert model.get("enc/num_heads").shape == ()
    assert model.get("dec/proj") is model.get("enc/w")


def test_bfloat16_is_widened_to_float32(tmp_path: Path) -> None:
    values = np.array([1.5, -2.0], dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype(np.uint16)
    path = _write(tmp_path / "model.bin", _variable("x", bf16, 5), 1, [])
    np.testing.assert_array_equal(read_ct2_model(path).get("x"), values)


def test_truncated_file_is_a_format_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "model.bin", _variable("x", np.zeros(4, np.float32), 0), 1, [])
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CT2FormatError):
        read_ct2_model(path)


def test_not_a_model_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(CT2FormatError, match="version"):
        read_ct2_model(path)


def test_unknown_variable_is_a_key_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "model.bin", b"", 0, [])
    with pytest.raises(KeyError, match="nope"):
        read_ct2_model(path).get("nope")
