"""The daemon's stages are built from the config: keys that reach the speaker's output."""

from __future__ import annotations

import pytest

from daemon.config import TeddyConfig
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
