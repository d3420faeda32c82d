"""The daemon on shared Wyoming engines: the speech-to-text server is killed, the child's next
utterance is still transcribed (by the local engine), health says degraded with the reason, and
once the server is back the next utterance goes to it and health is ok again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from daemon.app import Daemon
from daemon.config import load_config
from processors.audio.samples import as_float32
from tests.wyoming_servers import WyomingServer

SPEECH = Path(__file__).parents[2] / "data" / "speech_real" / "arctic_slt_a0009.wav"


@pytest.mark.slow
async def test_server_down_local_answers_health_degraded_then_recovers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    wyoming_stt: WyomingServer,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    silence = tmp_path / "silence.wav"
    sf.write(silence, np.zeros(16_000, np.float32), 16_000)
    config_file = tmp_path / "teddy.toml"
    config_file.write_text(
        f'[history]\npath = "{tmp_path / "h.sqlite3"}"\n[pipeline]\nspeak = false\n'
        f'[stt]\nbackend = "wyoming"\nuri = "{wyoming_stt.uri}"\nspeculative = false\n'
    )
    data, rate = sf.read(SPEECH, dtype="float32")
    speech = as_float32(data, rate)
    daemon = Daemon(
        load_config(config_file), input_spec=f"replay:{silence}", serve_http=False, env={}
    )
    await daemon.start()
    try:
        assert daemon.pipeline is not None and daemon.stages is not None
        (link,) = daemon.stages.transcriber.links()
        link.backoff.first_s = 0.0  # the next utterance retries at once

        async def heard() -> tuple[str, str]:
            assert daemon.pipeline is not None
            outcome = await daemon.pipeline.run_interaction(audio=speech, speak=False)
            assert outcome.transcription is not None, outcome.error
            return outcome.transcription.backend, outcome.transcription.text

        backend, text = await heard()
        assert backend == "wyoming" and "table" in text.lower()
        assert (await daemon.health.run_check("wyoming")).state == "ok"

        wyoming_stt.stop()
        try:
            backend, text = await heard()
            assert backend == "faster-whisper (wyoming fallback)" and "table" in text.lower()
            check = await daemon.health.run_check("wyoming")
            assert check.state == "degraded" and wyoming_stt.uri in check.detail, check
            assert (await daemon.health.evaluate()).status == "degraded"
        finally:
            wyoming_stt.start()
        backend, _ = await heard()
        assert backend == "wyoming"
        assert (await daemon.health.run_check("wyoming")).state == "ok"
    finally:
        await daemon.stop()
