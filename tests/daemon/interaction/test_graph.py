"""The shape of one interaction's job graph (pure: no models, no processor)."""

from __future__ import annotations

import numpy as np
import pytest

from daemon.interaction.graph import (
    ACOUSTIC,
    ALERTS,
    EMOTION,
    HISTORY,
    REPLY,
    SPEECH,
    TRANSCRIPTION,
    PluginStep,
    build_graph,
)
from processors import ProcessingType, TaskPriority

AUDIO = np.zeros(16_000, dtype=np.float32)


def deps(graph, step):  # type: ignore[no-untyped-def]
    ids = {t.id: name for name, t in graph.tasks.items()}
    return sorted(ids[d] for d in graph.tasks[step].depends_on)


def test_audio_graph_edges_follow_the_design() -> None:
    g = build_graph("i1", audio=AUDIO)
    assert deps(g, TRANSCRIPTION) == [] and deps(g, ACOUSTIC) == []
    assert deps(g, EMOTION) == [ACOUSTIC, TRANSCRIPTION]
    assert deps(g, REPLY) == [EMOTION, TRANSCRIPTION]
    assert deps(g, SPEECH) == [REPLY]
    assert deps(g, ALERTS) == [EMOTION, REPLY, TRANSCRIPTION]
    assert deps(g, HISTORY) == [ALERTS, EMOTION, REPLY, SPEECH, TRANSCRIPTION]


def test_priorities_are_high_for_the_child_normal_for_alerts_low_for_history() -> None:
    g = build_graph("i1", audio=AUDIO)
    high = {TRANSCRIPTION, ACOUSTIC, EMOTION, REPLY, SPEECH}
    for name, task in g.tasks.items():
        expected = (
            TaskPriority.HIGH
            if name in high
            else TaskPriority.NORMAL
            if name == ALERTS
            else TaskPriority.LOW
        )
        assert task.priority is expected, name


def test_task_types_and_payload_modes() -> None:
    g = build_graph("i1", audio=AUDIO, speaker_id="bear")
    assert g.tasks[TRANSCRIPTION].task_type is ProcessingType.AUDIO_TRANSCRIPTION
    assert g.tasks[ACOUSTIC].payload["mode"] == "audio"
    assert g.tasks[ACOUSTIC].payload["speaker_id"] == "bear"
    assert g.tasks[EMOTION].payload["mode"] == "text"
    # speech and parent alerts are distinct steps with their own task types
    assert g.tasks[SPEECH].task_type == "speech"
    assert g.tasks[ALERTS].task_type is ProcessingType.NOTIFICATION
    assert all(t.payload["interaction_id"] == "i1" for t in g.tasks.values())
    assert all("interaction:i1" in t.tags for t in g.tasks.values())


def test_typed_text_skips_the_audio_stages() -> None:
    g = build_graph("i2", text="hello teddy")
    assert TRANSCRIPTION not in g.tasks and ACOUSTIC not in g.tasks
    assert deps(g, EMOTION) == []
    assert g.tasks[EMOTION].payload["text"] == "hello teddy"
    assert g.tasks[REPLY].payload["text"] == "hello teddy"


def test_without_speech_there_is_no_speech_task() -> None:
    g = build_graph("i3", text="hi", speak=False)
    assert SPEECH not in g.tasks
    assert deps(g, HISTORY) == [ALERTS, EMOTION, REPLY]


def test_reply_context_reaches_the_reply_payload() -> None:
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    g = build_graph("i4", text="again", reply_context={"history": turns})
    assert g.tasks[REPLY].payload["history"] == turns


def test_plugin_steps_join_by_name_and_may_chain() -> None:
    steps = [
        PluginStep("word_count", depends_on=(TRANSCRIPTION, REPLY)),
        PluginStep("mood_log", depends_on=("word_count",), priority=TaskPriority.LOW, timeout=2),
    ]
    g = build_graph("i5", audio=AUDIO, plugin_steps=steps)
    assert deps(g, "word_count") == [REPLY, TRANSCRIPTION]
    assert deps(g, "mood_log") == ["word_count"]
    assert g.tasks["mood_log"].task_type == "mood_log"
    assert g.tasks["mood_log"].timeout == 2
    # a plug-in never holds the history write back
    assert "word_count" not in deps(g, HISTORY)


def test_plugin_depending_on_an_unknown_step_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown step"):
        build_graph("i6", audio=AUDIO, plugin_steps=[PluginStep("x", depends_on=("nope",))])


def test_exactly_one_of_audio_or_text() -> None:
    with pytest.raises(ValueError):
        build_graph("i7")
    with pytest.raises(ValueError):
        build_graph("i8", audio=AUDIO, text="both")


def test_submission_order_puts_dependencies_first() -> None:
    g = build_graph("i9", audio=AUDIO, plugin_steps=[PluginStep("p", depends_on=(SPEECH,))])
    seen: set[str] = set()
    for task in g.ordered:
        assert set(task.depends_on) <= seen
        seen.add(task.id)
