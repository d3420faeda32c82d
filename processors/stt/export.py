"""Convert a CTranslate2 Whisper model into an openai-whisper checkpoint (``.pt``).

This is what lets the openai-whisper backend run offline: the bundled CT2 tiny.en becomes a
checkpoint ``whisper.load_model(path)`` accepts. Fused CT2 projections are split back into
whisper's separate query/key/value modules; whisper's key projection has no bias (CT2 stores a
zero bias for it, which is dropped).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from processors.stt.ct2_format import CT2Model, read_ct2_model

Array = npt.NDArray[np.generic]
_LN = {"gamma": "weight", "beta": "bias"}


class ExportError(ValueError):
    """The CT2 model cannot be expressed as an openai-whisper checkpoint."""


def _layer_count(model: CT2Model, side: str) -> int:
    pattern = re.compile(rf"^{side}/layer_(\d+)/")
    found = {int(m.group(1)) for name in model.variables if (m := pattern.match(name))}
    if not found or sorted(found) != list(range(len(found))):
        raise ExportError(f"no contiguous {side} layers in the CT2 model")
    return len(found)


def _scalar(model: CT2Model, name: str) -> int:
    return int(np.asarray(model.get(name)).reshape(()))


def model_dims(model: CT2Model) -> dict[str, int]:
    """openai-whisper's ``ModelDimensions`` read off the CT2 tensors' shapes."""
    conv1 = model.get("encoder/conv1/weight")
    embeddings = model.get("decoder/embeddings/weight")
    return {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(model.get("encoder/position_encodings/encodings").shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": _scalar(model, "encoder/num_heads"),
        "n_audio_layer": _layer_count(model, "encoder"),
        "n_vocab": int(embeddings.shape[0]),
        "n_text_ctx": int(model.get("decoder/position_encodings/encodings").shape[0]),
        "n_text_state": int(embeddings.shape[1]),
        "n_text_head": _scalar(model, "decoder/num_heads"),
        "n_text_layer": _layer_count(model, "decoder"),
    }


def _linear(out: dict[str, Array], model: CT2Model, src: str, dst: str, bias: bool = True) -> None:
    out[f"{dst}.weight"] = model.get(f"{src}/weight")
    if bias:
        out[f"{dst}.bias"] = model.get(f"{src}/bias")


def _layer_norm(out: dict[str, Array], model: CT2Model, src: str, dst: str) -> None:
    for ct2_name, torch_name in _LN.items():
        out[f"{dst}.{torch_name}"] = model.get(f"{src}/{ct2_name}")


def _split_linear(
    out: dict[str, Array], model: CT2Model, src: str, dsts: list[str], biased: list[bool]
) -> None:
    weights = np.split(model.get(f"{src}/weight"), len(dsts), axis=0)
    biases = np.split(model.get(f"{src}/bias"), len(dsts), axis=0)
    for dst, weight, bias, has_bias in zip(dsts, weights, biases, biased, strict=True):
        out[f"{dst}.weight"] = weight
        if has_bias:
            out[f"{dst}.bias"] = bias
        elif np.any(bias):
            raise ExportError(f"{src}: whisper's {dst} has no bias but CT2 stores a non-zero one")


def _block(out: dict[str, Array], model: CT2Model, src: str, dst: str, cross: bool) -> None:
    attn = f"{src}/self_attention"
    _layer_norm(out, model, f"{attn}/layer_norm", f"{dst}.attn_ln")
    qkv = [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"]
    _split_linear(out, model, f"{attn}/linear_0", qkv, [True, False, True])
    _linear(out, model, f"{attn}/linear_1", f"{dst}.attn.out")
    if cross:
        cattn = f"{src}/attention"
        _layer_norm(out, model, f"{cattn}/layer_norm", f"{dst}.cross_attn_ln")
        _linear(out, model, f"{cattn}/linear_0", f"{dst}.cross_attn.query")
        kv = [f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"]
        _split_linear(out, model, f"{cattn}/linear_1", kv, [False, True])
        _linear(out, model, f"{cattn}/linear_2", f"{dst}.cross_attn.out")
    _layer_norm(out, model, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
    _linear(out, model, f"{src}/ffn/linear_0", f"{dst}.mlp.0")
    _linear(out, model, f"{src}/ffn/linear_1", f"{dst}.mlp.2")


def state_dict_arrays(model: CT2Model) -> tuple[dict[str, int], dict[str, Array]]:
    """The whisper dims and the state dict (as numpy arrays, CT2's stored dtype)."""
    if model.spec != "WhisperSpec":
        raise ExportError(f"expected a WhisperSpec model, got {model.spec!r}")
    if any(name.endswith("weight_scale") for name in model.variables):
        raise ExportError("quantized (int8) CT2 weights cannot be exported; convert a float model")
    dims = model_dims(model)
    out: dict[str, Array] = {}
    for conv in ("conv1", "conv2"):
        _linear(out, model, f"encoder/{conv}", f"encoder.{conv}")
    out["encoder.positional_embedding"] = model.get("encoder/position_encodings/encodings")
    for i in range(dims["n_audio_layer"]):
        _block(out, model, f"encoder/layer_{i}", f"encoder.blocks.{i}", cross=False)
    _layer_norm(out, model, "encoder/layer_norm", "encoder.ln_post")
    out["decoder.token_embedding.weight"] = model.get("decoder/embeddings/weight")
    out["decoder.positional_embedding"] = model.get("decoder/position_encodings/encodings")
    for i in range(dims["n_text_layer"]):
        _block(out, model, f"decoder/layer_{i}", f"decoder.blocks.{i}", cross=True)
    _layer_norm(out, model, "decoder/layer_norm", "decoder.ln")
    return dims, out


def export_openai_whisper(model_dir: Path, out_path: Path) -> dict[str, int]:
    """Write ``out_path`` (a ``whisper.load_model``-compatible .pt); return the model dims.

    Weights are stored as float32: openai-whisper runs fp32 on CPU, and widening fp16 is exact.
    """
    import torch

    dims, arrays = state_dict_arrays(read_ct2_model(model_dir / "model.bin"))
    state = {name: torch.from_numpy(np.array(a, dtype=np.float32)) for name, a in arrays.items()}
    checkpoint: dict[str, Any] = {"dims": dims, "model_state_dict": state}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    torch.save(checkpoint, tmp)
    tmp.replace(out_path)  # atomic: a crash never leaves a half-written checkpoint behind
    return dims
