"""`teddy doctor`'s Wyoming check: each configured server answers Describe with Info that has
what teddy will ask of it (an ASR program; a TTS program with ``tts.voice``), and
``wyoming.listen`` is a free address. Imports the optional ``wyoming`` package only when used."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daemon.config import TeddyConfig

#: (level "ok" | "warn" | "FAIL", name, detail, fix): `teddy doctor` turns these into Findings
Finding = tuple[str, str, str, str]

FIX_INSTALL = "run: .venv/bin/pip install 'teddy[wyoming]'"


def _finding(level: str, name: str, detail: str, fix: str = "") -> Finding:
    return (level, name, detail, fix)


def _ask(uri: str) -> Any:
    from processors.wyoming_link import describe

    return asyncio.run(describe(uri, timeout_s=3.0))


def _server(kind: str, uri: str, voice: str | None) -> Finding:
    name = f"wyoming {kind} {uri}"
    try:
        info = _ask(uri)
    except (OSError, TimeoutError, EOFError, ValueError) as exc:
        return _finding(
            "FAIL",
            name,
            f"no answer to Describe ({type(exc).__name__}: {exc}); the local engine answers",
            f"start the server (see docs/fleet.md) or set {kind}.backend to a local engine",
        )
    if kind == "stt":
        models = [m.name for p in info.asr for m in p.models if m.installed]
        if not models:
            return _finding("FAIL", name, "answers, but offers no speech-to-text model",
                            "point stt.uri at a wyoming-faster-whisper server")  # fmt: skip
        return _finding("ok", name, f"speech-to-text: {', '.join(models)}")
    voices = [v.name for p in info.tts for v in p.voices]  # wyoming-piper: its whole catalogue
    if not voices:
        return _finding("FAIL", name, "answers, but offers no voice",
                        "point tts.uri at a wyoming-piper server")  # fmt: skip
    if voice and voice not in voices:
        detail = f"tts.voice {voice!r} is not offered there"
        return _finding("FAIL", name, detail, "leave tts.voice unset (the server's own voice)")
    if voice:
        detail = f"tts.voice {voice!r} is offered; it must be on the server's disk, or "
        return _finding("warn", name, detail + "wyoming-piper stalls trying to download it",
                        "leave tts.voice unset to use the server's --voice")  # fmt: skip
    return _finding("ok", name, f"answers; {len(voices)} voice(s) offered, its own voice used")


def _listen_free(listen: str) -> Finding:
    name = f"wyoming.listen {listen}"
    if not listen.startswith("tcp://"):
        return _finding("ok", name, "unix socket (created at start)")
    host, _, port = listen[len("tcp://") :].rpartition(":")
    with socket.socket() as sock:
        try:
            sock.bind((host, int(port)))
        except OSError as exc:
            return _finding("warn", name, f"cannot bind now ({exc}); a running teddy may hold it")
    return _finding("ok", name, "address is free")


def wyoming_findings(config: TeddyConfig) -> list[Finding]:
    wanted = [
        ("stt", config.stt.uri, None) if config.stt.backend == "wyoming" else None,
        ("tts", config.tts.uri, config.tts.voice) if config.tts.backend == "wyoming" else None,
    ]
    servers = [w for w in wanted if w is not None and w[1]]
    listen = config.wyoming.listen
    if not servers and not listen:
        return []
    if importlib.util.find_spec("wyoming") is None:
        return [_finding("FAIL", "wyoming", "the wyoming package is not installed", FIX_INSTALL)]
    findings = [_server(kind, str(uri), voice) for kind, uri, voice in servers]
    if listen:
        findings.append(_listen_free(listen))
    return findings
