"""The async-processor guide's examples that need the real stage processors, run as written
(only the import line reads ``from processors import ...``), on the built-in stage factories:
real Whisper transcription, real emotion analysis, the (offline, no key) reply stage and real
audio enhancement in the process pool."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import numpy as np
import pytest
import soundfile as sf

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    ProcessingType,
    TaskPriority,
    TaskStatus,
    create_processor,
    create_task,
)
from processors.audio.samples import resample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    wav = tmp_path_factory.mktemp("guide") / "happy.wav"
    subprocess.run(
        ["espeak-ng", "-s", "140", "-w", str(wav), "I am happy today!"], check=True, timeout=30
    )
    data, rate = sf.read(str(wav), dtype="float32")
    return resample(np.asarray(data, dtype=np.float32), int(rate), 16_000)


@pytest.fixture
def audio_bytes(speech: np.ndarray) -> bytes:
    return (np.clip(speech, -1, 1) * 32767).astype("<i2").tobytes()


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    yield


async def test_quick_start(capsys: pytest.CaptureFixture[str]) -> None:
    async def main():  # type: ignore[no-untyped-def]
        # Create and start processor
        processor = await create_processor(max_workers=5, enable_monitoring=True)

        try:
            # Create a task
            task = create_task(
                ProcessingType.AI_RESPONSE,
                {"prompt": "Hello, how are you?", "model": "gpt-3.5-turbo"},
                TaskPriority.HIGH,
            )

            # Submit and wait for result
            task_id = await processor.submit_task(task)
            result = await processor.wait_for_task(task_id, timeout=30.0)

            print(f"Result: {result.result}")
            return result

        finally:
            await processor.shutdown()

    result = await main()
    assert result.status is TaskStatus.COMPLETED, result.error
    assert result.result["reply"] and result.result["offline"] is True
    assert "Result: Reply(reply=" in capsys.readouterr().out  # the typed result, readable


async def test_task_dependencies(audio_bytes: bytes) -> None:
    async def dependency_example():  # type: ignore[no-untyped-def]
        processor = await create_processor(max_workers=3)

        try:
            # Create dependent tasks
            task1 = create_task(
                ProcessingType.AUDIO_TRANSCRIPTION, {"audio_data": audio_bytes}, TaskPriority.HIGH
            )

            task2 = create_task(
                ProcessingType.EMOTION_ANALYSIS,
                {"audio_data": audio_bytes},
                TaskPriority.HIGH,
                depends_on=[task1.id],  # Depends on task1
            )

            task3 = create_task(
                ProcessingType.AI_RESPONSE,
                {"prompt": "Generate response based on emotion"},
                TaskPriority.NORMAL,
                depends_on=[task1.id, task2.id],  # Depends on both
            )

            # Submit all tasks
            await processor.submit_task(task1)
            await processor.submit_task(task2)
            await processor.submit_task(task3)

            # Wait for final result
            final_result = await processor.wait_for_task(task3.id)
            return final_result, await processor.get_task_result(task1.id)

        finally:
            await processor.shutdown()

    final, transcription = await dependency_example()
    assert transcription.status is TaskStatus.COMPLETED, transcription.error
    assert "happy" in transcription.result["text"].lower()
    assert final.status is TaskStatus.COMPLETED, final.error
    assert final.result["reply"]


async def test_specific_processors(audio_bytes: bytes, speech: np.ndarray) -> None:
    processor = AdvancedAsyncProcessor(
        max_workers=10,  # Total async workers
        max_thread_workers=5,  # Thread pool size
        max_process_workers=2,  # Process pool size
        queue_size=1000,  # Max queue size
        enable_monitoring=True,  # Performance monitoring
        enable_profiling=False,  # Detailed profiling
    )
    await processor.start()
    try:
        audio_44k = (resample(speech, 16_000, 44_100) * 32767).astype("<i2").tobytes()
        # Audio transcription
        transcription_task = create_task(
            ProcessingType.AUDIO_TRANSCRIPTION,
            {"audio_data": audio_44k, "sample_rate": 44100, "language": "en"},
            TaskPriority.HIGH,
            timeout=30.0,
        )

        # Audio enhancement
        enhancement_task = create_task(
            ProcessingType.AUDIO_ENHANCEMENT,
            {
                "audio_data": audio_44k,
                "sample_rate": 44100,
                "noise_reduction": True,
                "normalization": True,
            },
            cpu_intensive=True,
        )
        ai_task = create_task(
            ProcessingType.AI_RESPONSE,
            {
                "prompt": 'Child said: "I am happy today!"',
                "context": {"child_age": 5, "emotion": "happy", "session_id": "session_123"},
                "model": "gpt-3.5-turbo",
                "max_tokens": 150,
            },
            TaskPriority.HIGH,
            timeout=10.0,
        )
        emotion_task = create_task(
            ProcessingType.EMOTION_ANALYSIS,
            {
                "audio_data": audio_bytes,
                "text": "I am happy today!",
                "analysis_type": "comprehensive",
            },
            TaskPriority.HIGH,
        )
        ids = [
            await processor.submit_task(t)
            for t in (transcription_task, enhancement_task, ai_task, emotion_task)
        ]
        results = [await processor.wait_for_task(i, timeout=120) for i in ids]
    finally:
        await processor.shutdown()
    for result in results:
        assert result.status is TaskStatus.COMPLETED, (result.task_id, result.error)
    transcribed, enhanced, replied, emotion = (r.result for r in results)
    assert "happy" in transcribed["text"].lower()
    assert enhanced is not None
    assert replied["reply"]
    assert emotion["primary"] == "joy"


async def test_full_workflow(audio_bytes: bytes) -> None:
    test_audio = audio_bytes
    processor = await create_processor(max_workers=3)

    try:
        # Test complete AI Teddy Bear workflow
        transcription_task = create_task(
            ProcessingType.AUDIO_TRANSCRIPTION, {"audio_data": test_audio}
        )

        emotion_task = create_task(
            ProcessingType.EMOTION_ANALYSIS,
            {"audio_data": test_audio},
            depends_on=[transcription_task.id],
        )

        ai_task = create_task(
            ProcessingType.AI_RESPONSE,
            {"prompt": "Generate response"},
            depends_on=[transcription_task.id, emotion_task.id],
        )

        # Submit and verify
        await processor.submit_task(transcription_task)
        await processor.submit_task(emotion_task)
        await processor.submit_task(ai_task)

        result = await processor.wait_for_task(ai_task.id)
        assert result.status == TaskStatus.COMPLETED

    finally:
        await processor.shutdown()


def test_processing_task_is_the_guides_dataclass() -> None:
    task = ProcessingTask(
        task_type=ProcessingType.AUDIO_ENHANCEMENT,
        payload={"audio_data": b"\0\0", "sample_rate": 44100},
        priority=TaskPriority.HIGH,
        timeout=30.0,
        max_retries=3,
        cpu_intensive=True,
        memory_intensive=False,
        io_bound=False,
        tags={"user_session", "audio"},
        depends_on=["parent_task_id"],
    )
    assert task.to_dict()["task_type"] == "audio_enhancement"
