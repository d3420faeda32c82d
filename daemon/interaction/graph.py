"""The job graph of one interaction: which tasks, with which priorities, depending on what.

    transcription (HIGH) ─┐
                          ├─> text emotion (HIGH) ─> reply (HIGH) ─┬─> speech (HIGH) ──┐
    acoustic cues (HIGH) ─┘                                        └─> alerts (NORMAL) ┴─> history
                                                                                           (LOW)
    transcription ─> memory (LOW, only with ``memory.enabled``: facts the child told about
                     themselves, beside the reply, never in its way)
Plug-in steps from ``[[pipeline.steps]]`` join by naming the steps they depend on. Building the
graph is pure (no I/O), so its shape is unit-tested without models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from processors import ProcessingTask, ProcessingType, TaskPriority

# Step names: what `[[pipeline.steps]].depends_on` refers to and what history timings are keyed by.
TRANSCRIPTION = "transcription"
ACOUSTIC = "acoustic"
EMOTION = "emotion"
REPLY = "reply"
SPEECH = "speech"
ALERTS = "alerts"
HISTORY = "history"
MEMORY = "memory"
CORE_STEPS = (TRANSCRIPTION, ACOUSTIC, EMOTION, REPLY, SPEECH, ALERTS, HISTORY)

#: task type used for the final history write (the daemon registers its writer under it)
HISTORY_TASK_TYPE = ProcessingType.DATABASE_OPERATION
#: the bear's voice is its own task type; the guide's NOTIFICATION type carries parent alerts
SPEECH_TASK_TYPE = "speech"
ALERTS_TASK_TYPE = ProcessingType.NOTIFICATION
#: facts about the child proposed from one utterance (``processors/memory``)
MEMORY_TASK_TYPE = "profile_update"


@dataclass(frozen=True)
class PluginStep:
    """A plug-in step from config: its task type (the plug-in's registered name) and its edges."""

    type: str
    depends_on: Sequence[str] = (REPLY,)
    priority: TaskPriority = TaskPriority.NORMAL
    timeout: float | None = 10.0
    name: str | None = None

    @property
    def step_name(self) -> str:
        return self.name or self.type


@dataclass
class InteractionGraph:
    interaction_id: str
    tasks: dict[str, ProcessingTask] = field(default_factory=dict)

    @property
    def ordered(self) -> list[ProcessingTask]:
        """Tasks in submission order (every dependency before its dependents)."""
        return list(self.tasks.values())


@dataclass(frozen=True)
class StageTimeouts:
    transcription: float = 30.0
    emotion: float = 10.0
    reply: float = 30.0
    speech: float = 120.0
    alerts: float = 30.0
    history: float = 10.0
    memory: float = 15.0


def build_graph(
    interaction_id: str,
    *,
    audio: Any | None = None,
    sample_rate: int = 16_000,
    text: str | None = None,
    reply_context: Mapping[str, Any] | None = None,
    speak: bool = True,
    plugin_steps: Sequence[PluginStep] = (),
    timeouts: StageTimeouts | None = None,
    speaker_id: str = "default",
    memory: bool = False,
) -> InteractionGraph:
    """The graph for captured audio, or for typed ``text`` (``teddy chat``: no audio stages)."""
    if (audio is None) == (text is None):
        raise ValueError("build_graph needs exactly one of audio or text")
    limits = timeouts or StageTimeouts()
    graph = InteractionGraph(interaction_id)
    tag = {f"interaction:{interaction_id}"}
    base = {"interaction_id": interaction_id}

    def add(name: str, task: ProcessingTask) -> None:
        task.tags = set(task.tags) | tag | {f"step:{name}"}
        graph.tasks[name] = task

    def ids(*names: str) -> list[str]:
        return [graph.tasks[n].id for n in names if n in graph.tasks]

    high = TaskPriority.HIGH
    if audio is not None:
        audio_payload = {**base, "audio_data": audio, "sample_rate": sample_rate}
        add(
            TRANSCRIPTION,
            ProcessingTask(
                ProcessingType.AUDIO_TRANSCRIPTION,
                dict(audio_payload),
                priority=high,
                timeout=limits.transcription,
            ),
        )
        add(
            ACOUSTIC,
            ProcessingTask(
                ProcessingType.EMOTION_ANALYSIS,
                {**audio_payload, "mode": "audio", "speaker_id": speaker_id},
                priority=high,
                timeout=limits.emotion,
            ),
        )
    text_payload: dict[str, Any] = {**base, "mode": "text", "speaker_id": speaker_id}
    if text is not None:
        text_payload["text"] = text
    add(
        EMOTION,
        ProcessingTask(
            ProcessingType.EMOTION_ANALYSIS,
            text_payload,
            priority=high,
            timeout=limits.emotion,
            depends_on=ids(TRANSCRIPTION, ACOUSTIC),
        ),
    )
    reply_payload: dict[str, Any] = {**base, **(reply_context or {})}
    if text is not None:
        reply_payload["text"] = text
    add(
        REPLY,
        ProcessingTask(
            ProcessingType.AI_RESPONSE,
            reply_payload,
            priority=high,
            timeout=limits.reply,
            depends_on=ids(TRANSCRIPTION, EMOTION),
        ),
    )
    if speak:
        add(
            SPEECH,
            ProcessingTask(
                SPEECH_TASK_TYPE,
                dict(base),
                priority=high,
                timeout=limits.speech,
                depends_on=ids(REPLY),
            ),
        )
    alert_payload: dict[str, Any] = dict(base)
    if text is not None:
        alert_payload["text"] = text
    add(
        ALERTS,
        ProcessingTask(
            ALERTS_TASK_TYPE,
            alert_payload,
            priority=TaskPriority.NORMAL,
            timeout=limits.alerts,
            depends_on=ids(TRANSCRIPTION, EMOTION, REPLY),
        ),
    )
    if memory:
        memory_payload: dict[str, Any] = dict(base)
        if text is not None:
            memory_payload["text"] = text
        add(
            MEMORY,
            ProcessingTask(
                MEMORY_TASK_TYPE,
                memory_payload,
                priority=TaskPriority.LOW,
                timeout=limits.memory,
                depends_on=ids(TRANSCRIPTION),
            ),
        )
    for step in plugin_steps:
        unknown = [d for d in step.depends_on if d not in graph.tasks]
        if unknown:
            raise ValueError(
                f"pipeline step {step.step_name!r} depends on unknown step(s) {unknown}; "
                f"known: {sorted(graph.tasks)}"
            )
        add(
            step.step_name,
            ProcessingTask(
                step.type,
                {**base, **({"text": text} if text is not None else {})},
                priority=step.priority,
                timeout=step.timeout,
                depends_on=ids(*step.depends_on),
            ),
        )
    add(
        HISTORY,
        ProcessingTask(
            HISTORY_TASK_TYPE,
            {**base, "operation": "finish_interaction"},
            priority=TaskPriority.LOW,
            timeout=limits.history,
            depends_on=ids(TRANSCRIPTION, EMOTION, REPLY, SPEECH, ALERTS),
        ),
    )
    return graph
