"""CT2 -> openai-whisper conversion of the bundled tiny.en."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from processors.stt.ct2_format import read_ct2_model
from processors.stt.export import ExportError, state_dict_arrays
from processors.stt.models import tiny_en_dir

Exported = tuple[dict[str, int], dict[str, Any]]

TINY_EN_DIMS = {
    "n_mels": 80,
    "n_audio_ctx": 1500,
    "n_audio_state": 384,
    "n_audio_head": 6,
    "n_audio_layer": 4,
    "n_vocab": 51864,
    "n_text_ctx": 448,
    "n_text_state": 384,
    "n_text_head": 6,
    "n_text_layer": 4,
}


@pytest.fixture(scope="module")
def tiny_en() -> Exported:
    return state_dict_arrays(read_ct2_model(tiny_en_dir() / "model.bin"))


def test_dims_are_read_off_the_tensors(tiny_en: Exported) -> None:
    assert tiny_en[0] == TINY_EN_DIMS


def test_state_dict_matches_whisper_module_exactly(tiny_en: Exported) -> None:
    whisper_model = pytest.importorskip("whisper.model")
    dims, arrays = tiny_en
    expected = whisper_model.Whisper(whisper_model.ModelDimensions(**dims)).state_dict()
    assert set(arrays) == set(expected)
    for name, tensor in expected.items():
        assert tuple(arrays[name].shape) == tuple(tensor.shape), name


def test_fused_qkv_is_split_in_order(tiny_en: Exported) -> None:
    fused = read_ct2_model(tiny_en_dir() / "model.bin").get(
        "decoder/layer_0/self_attention/linear_0/weight"
    )
    arrays = tiny_en[1]
    np.testing.assert_array_equal(arrays["decoder.blocks.0.attn.query.weight"], fused[:384])
    np.testing.assert_array_equal(arrays["decoder.blocks.0.attn.key.weight"], fused[384:768])
    np.testing.assert_array_equal(arrays["decoder.blocks.0.attn.value.weight"], fused[768:])


def test_non_whisper_model_is_refused(tmp_path: Path) -> None:
    model = read_ct2_model(tiny_en_dir() / "model.bin")
    model.spec = "TransformerSpec"
    with pytest.raises(ExportError, match="WhisperSpec"):
        state_dict_arrays(model)
