"""The emotion stage with the payloads of the daemon's interaction graph, on the real processor."""

from __future__ import annotations

from typing import Any

from daemon.interaction.graph import ACOUSTIC, EMOTION, TRANSCRIPTION, build_graph
from processors import ProcessingTask, ProcessingType, TaskStatus, create_processor
from processors.emotion.stage import EmotionAnalyzer
from processors.emotion.text import HybridTextEmotion
from tests.processors.emotion.conftest import Speak


async def test_acoustic_and_text_steps_of_an_interaction(
    text_backend: HybridTextEmotion, speak: Speak
) -> None:
    said = "I had a bad dream and I'm scared"
    graph = build_graph("i-1", audio=speak(said), speaker_id="bear-7")
    processor = await create_processor(max_workers=3)
    try:

        async def transcriber(task: ProcessingTask) -> dict[str, Any]:
            return {"text": said}

        stage = EmotionAnalyzer(text_backend=text_backend)
        processor.register_processor(ProcessingType.AUDIO_TRANSCRIPTION, transcriber)
        processor.register_processor(ProcessingType.EMOTION_ANALYSIS, stage)
        for step in (TRANSCRIPTION, ACOUSTIC, EMOTION):
            await processor.submit_task(graph.tasks[step])
        acoustic = await processor.wait_for_task(graph.tasks[ACOUSTIC].id, timeout=10)
        emotion = await processor.wait_for_task(graph.tasks[EMOTION].id, timeout=10)
    finally:
        await processor.shutdown(timeout=5)
    assert acoustic.status == TaskStatus.COMPLETED, acoustic.error
    assert emotion.status == TaskStatus.COMPLETED, emotion.error
    assert acoustic.result["mode"] == "audio"
    assert emotion.result["primary"] == "fear"
    assert emotion.result["mode"] == "text+audio"
    assert emotion.result["audio"] == acoustic.result["audio"]
    assert stage.baselines.count("bear-7") == 1  # the text step did not count the audio twice
