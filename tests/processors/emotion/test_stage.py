"""The EMOTION_ANALYSIS and TEXT_ANALYSIS stages, alone and on the real job processor."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from processors import (
    InvalidTask,
    ProcessingTask,
    ProcessingType,
    TaskStatus,
    create_processor,
)
from processors.audio.samples import BadAudio
from processors.emotion.labels import EMOTIONS
from processors.emotion.stage import (
    EmotionAnalyzer,
    TextAnalyzer,
    create_default,
    create_text_analysis_default,
)
from processors.emotion.text import HybridTextEmotion, TextEmotion
from tests.processors.emotion.conftest import Speak

RESULT_KEYS = {"primary", "scores", "valence", "arousal", "evidence", "audio"}


def task(payload: dict[str, Any], **deps: tuple[ProcessingType, Any]) -> ProcessingTask:
    """A task whose dependencies (name -> (type, result)) have already completed."""
    t = ProcessingTask(ProcessingType.EMOTION_ANALYSIS, payload)
    for dep_id, (dep_type, result) in deps.items():
        t.depends_on.append(dep_id)
        t.dependency_types[dep_id] = dep_type.value
        t.dependency_results[dep_id] = result
    return t


async def test_text_payload(analyzer: EmotionAnalyzer) -> None:
    result = await analyzer(task({"text": "I miss my grandpa"}))
    assert RESULT_KEYS <= set(result)
    assert result["primary"] == "sadness"
    assert set(result["scores"]) == set(EMOTIONS)
    assert sum(result["scores"].values()) == pytest.approx(1.0)
    assert -1.0 <= result["valence"] < 0
    assert "rule:miss_someone" in result["evidence"]
    assert result["audio"] is None


async def test_text_mode_reads_the_transcription_dependency(analyzer: EmotionAnalyzer) -> None:
    transcript = (ProcessingType.AUDIO_TRANSCRIPTION, {"text": "I'm scared of the thunder"})
    result = await analyzer(task({"mode": "text"}, stt=transcript))
    assert result["primary"] == "fear"
    assert result["text"] == "I'm scared of the thunder"


async def test_text_mode_folds_in_acoustic_cues(analyzer: EmotionAnalyzer, speak: Speak) -> None:
    clip = speak("we went to the zoo and saw a lion")
    acoustic = await analyzer(task({"mode": "audio", "audio_data": clip}))
    transcript = (ProcessingType.AUDIO_TRANSCRIPTION, {"text": "we went to the zoo and saw a lion"})
    emotion = (ProcessingType.EMOTION_ANALYSIS, acoustic)
    result = await analyzer(task({"mode": "text"}, stt=transcript, cues=emotion))
    assert result["audio"] == acoustic["audio"]
    assert result["mode"] == "text+audio"
    assert any(e.startswith("voice arousal") for e in result["evidence"])


async def test_audio_mode_gives_cues_not_labels(analyzer: EmotionAnalyzer, speak: Speak) -> None:
    result = await analyzer(
        task({"mode": "audio", "audio_data": speak("hello teddy"), "speaker_id": "bear-1"})
    )
    assert result["primary"] == "neutral"
    assert result["audio"]["speech"] is True
    assert result["audio"]["pitch_hz"] > 50
    assert result["arousal"] == pytest.approx(0.5)  # first utterance sets the baseline
    assert result["speaker_id"] == "bear-1"


async def test_audio_mode_accepts_pcm_bytes(analyzer: EmotionAnalyzer, speak: Speak) -> None:
    pcm = (speak("hello teddy") * 32767).astype("<i2").tobytes()
    result = await analyzer(task({"mode": "audio", "audio_data": pcm, "sample_rate": 16000}))
    assert result["audio"]["speech"] is True


async def test_guide_payload_uses_text_and_audio(analyzer: EmotionAnalyzer, speak: Speak) -> None:
    payload = {
        "audio_data": speak("I am happy today"),
        "text": "I am happy today!",
        "analysis_type": "comprehensive",
    }
    result = await analyzer(task(payload))
    assert result["primary"] == "joy"
    assert result["audio"]["speech"] is True


async def test_speakers_keep_separate_baselines(analyzer: EmotionAnalyzer, speak: Speak) -> None:
    clip = speak("hello teddy")
    await analyzer(task({"mode": "audio", "audio_data": clip, "speaker_id": "a"}))
    result = await analyzer(task({"mode": "audio", "audio_data": clip, "speaker_id": "b"}))
    assert result["audio"]["baseline_utterances"] == 0
    assert analyzer.baselines.count("a") == 1


async def test_bad_audio_fails_audio_mode(analyzer: EmotionAnalyzer) -> None:
    with pytest.raises(BadAudio, match="NaN"):
        await analyzer(task({"mode": "audio", "audio_data": np.full(1600, np.nan, np.float32)}))
    with pytest.raises(BadAudio, match="needs audio_data"):
        await analyzer(task({"mode": "audio"}))


async def test_bad_audio_with_text_keeps_the_text_result(analyzer: EmotionAnalyzer) -> None:
    result = await analyzer(task({"text": "yay a puppy", "audio_data": b"\x01"}))
    assert result["primary"] == "joy"
    assert result["audio"] is None
    assert any("audio unusable" in e for e in result["evidence"])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"mode": "video", "text": "hi"}, "mode"),
        ({}, "needs text"),
        ({"text": 42}, "must be a string"),
        ({"mode": "text", "text": "   "}, "needs text"),
    ],
)
async def test_bad_payloads_are_clear_errors(
    analyzer: EmotionAnalyzer, payload: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidTask, match=message):
        await analyzer(task(payload))


class FixedBackend:
    """A stand-in for a remote emotion API."""

    def load(self) -> None:
        self.loaded = True

    def classify(self, text: str) -> TextEmotion:
        scores = {e: (1.0 if e == "trust" else 0.0) for e in EMOTIONS}
        return TextEmotion("trust", scores, 0.5, 0.3, ["remote"], {})


async def test_another_text_backend_can_be_plugged_in() -> None:
    backend = FixedBackend()
    result = await EmotionAnalyzer(text_backend=backend)(task({"text": "anything"}))
    assert backend.loaded
    assert result["primary"] == "trust"
    assert result["evidence"] == ["remote"]


async def test_text_analysis_stage(text_backend: HybridTextEmotion) -> None:
    stage = TextAnalyzer(text_backend=text_backend)
    result = await stage(ProcessingTask(ProcessingType.TEXT_ANALYSIS, {"text": "I love my puppy"}))
    assert result["sentiment"] == "positive"
    assert result["valence"] > 0
    assert result["primary"] == "joy"
    assert result["word_count"] == 4
    with pytest.raises(InvalidTask):
        await stage(ProcessingTask(ProcessingType.TEXT_ANALYSIS, {"text": ""}))


def test_default_factories_share_one_text_backend() -> None:
    emotion, text = create_default(), create_text_analysis_default()
    assert emotion.text_backend is text.text_backend


async def test_runs_on_the_processor_after_a_transcription(text_backend: HybridTextEmotion) -> None:
    processor = await create_processor(max_workers=2)
    try:

        async def fake_transcriber(t: ProcessingTask) -> dict[str, Any]:
            return {"text": "it's not fair, he took my crayons"}

        processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, fake_transcriber)
        processor.register_processor(
            ProcessingType.EMOTION_ANALYSIS, EmotionAnalyzer(text_backend=text_backend)
        )
        stt = ProcessingTask(ProcessingType.AUDIO_TRANSCRIPTION, {"audio_data": b"\0\0"})
        emo = ProcessingTask(ProcessingType.EMOTION_ANALYSIS, {"mode": "text"}, depends_on=[stt.id])
        await processor.submit_task(stt)
        await processor.submit_task(emo)
        done = await processor.wait_for_task(emo.id, timeout=10)
        assert done.status == TaskStatus.COMPLETED, done.error
        assert done.result["primary"] == "anger"
    finally:
        await processor.shutdown(timeout=5)
