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
    """Settings from the config (``--config``, ``$TEDDY_CONFIG``, the search path, env overrides).

    Raises ``daemon.config.ConfigError`` (a ValueError) naming key, value and what is allowed.
    """
    from daemon.config import load_config_with_source

    config, source = load_config_with_source(path)
    voice = config.tts.voice if config.tts.backend == "hibari" and config.tts.voice else "heart"
    return Settings(
        source=source,
        health_host=config.health.host,
        health_port=config.health.port,
        health_token=config.health.token,
        input_device=config.audio.input_device,
        output_device=config.audio.output_device,
        stt_backend=config.stt.backend,
        stt_model=config.stt.model,
        tts_backend=config.tts.backend,
        tts_voice=voice,
        history_path=config.history.path,
        api_key_file=config.llm.api_key_file,
    )
