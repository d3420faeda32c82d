"""The daemon's stages are built from the config: keys that reach the speaker's output."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from daemon.config import TeddyConfig
from daemon.interaction import wiring
from daemon.interaction.wiring import build_stages
from processors.speech.tts.line import OutputLine
from processors.speech.tts.playback import AudioOutput


@pytest.mark.parametrize("barge_in", [False, True])
def test_playback_block_ms_reaches_the_output_device(barge_in: bool) -> None:
    config = TeddyConfig.model_validate({"audio": {"playback_block_ms": 10, "barge_in": barge_in}})
    output = build_stages(config).speaker.output
    if barge_in:  # full duplex keeps one stream open: a line around the device
        assert isinstance(output, OutputLine)
        output = output.output
    assert isinstance(output, AudioOutput)
    assert output.block_ms == 10


def test_the_voice_loads_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The voice's G2P parse frees memory that the loads after it reuse (RSS at ready)."""
    order: list[str] = []

    def recorder(name: str) -> Any:
        async def load() -> None:
            order.append(name)

        return load

    class Safety:
        load = staticmethod(recorder("safety"))

    stages = build_stages(TeddyConfig())
    monkeypatch.setattr(wiring, "_SafetyModel", Safety)
    for name, stage in [
        ("stt", stages.transcriber),
        ("emotion", stages.emotion),
        ("llm", stages.responder),
        ("tts", stages.speaker),
    ]:
        monkeypatch.setattr(stage, "load", recorder(name))
    asyncio.run(stages.load())
    assert order == ["tts", "stt", "emotion", "llm", "safety"]
    assert stages.loaded
