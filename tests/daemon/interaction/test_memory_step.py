"""The memory step in the graph: only with memory on, LOW, after transcription, beside the reply."""

from __future__ import annotations

import numpy as np

from daemon.interaction.graph import (
    HISTORY,
    MEMORY,
    MEMORY_TASK_TYPE,
    REPLY,
    TRANSCRIPTION,
    build_graph,
)
from processors import TaskPriority


def test_memory_off_leaves_the_step_out() -> None:
    assert MEMORY not in build_graph("i1", text="hi").tasks


def test_the_memory_step_follows_transcription_and_nothing_waits_for_it() -> None:
    graph = build_graph("i1", audio=np.zeros(160, dtype=np.float32), memory=True)
    step = graph.tasks[MEMORY]
    assert step.task_type == MEMORY_TASK_TYPE and step.priority is TaskPriority.LOW
    assert step.depends_on == [graph.tasks[TRANSCRIPTION].id]
    assert step.payload == {"interaction_id": "i1"}
    assert all(step.id not in graph.tasks[s].depends_on for s in (REPLY, HISTORY))


def test_typed_words_go_to_the_memory_step() -> None:
    step = build_graph("i1", text="My dog is called Rex", memory=True).tasks[MEMORY]
    assert step.payload["text"] == "My dog is called Rex" and step.depends_on == []
