"""Shared test helpers for the reply tests: a recording sentence sink and task builders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from processors.engine.task import ProcessingTask, ProcessingType


@dataclass
class RecordingSink:
    """A ``SentenceSink`` that records what it was given (and may run a probe on each put)."""

    puts: list[tuple[str, str]] = field(default_factory=list)
    closes: list[tuple[str, BaseException | None]] = field(default_factory=list)
    on_put: Any = None
    fail: bool = False

    async def put(self, interaction_id: str, sentence: str) -> None:
        if self.fail:
            raise RuntimeError("speaker broke")
        self.puts.append((interaction_id, sentence))
        if self.on_put is not None:
            self.on_put(sentence)

    async def close(self, interaction_id: str, error: BaseException | None = None) -> None:
        self.closes.append((interaction_id, error))

    @property
    def sentences(self) -> list[str]:
        return [sentence for _, sentence in self.puts]


def reply_task(text: str | None = "Hello teddy!", **payload: Any) -> ProcessingTask:
    body: dict[str, Any] = {"interaction_id": "int-1", **payload}
    if text is not None:
        body["text"] = text
    return ProcessingTask(ProcessingType.AI_RESPONSE, body)


def chained_task(transcript: str, emotion: str) -> ProcessingTask:
    """A reply task whose words and emotion come from dependency results, as in the pipeline."""
    task = ProcessingTask(
        ProcessingType.AI_RESPONSE, {"interaction_id": "int-2"}, depends_on=["stt", "emo"]
    )
    task.dependency_types = {"stt": "audio_transcription", "emo": "emotion_analysis"}
    task.dependency_results = {"stt": {"text": transcript}, "emo": {"primary": emotion}}
    return task
