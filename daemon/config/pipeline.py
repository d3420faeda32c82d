"""Plug-ins (``[plugins]``) and the interaction chain (``[pipeline]``, ``[[pipeline.steps]]``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from daemon.config.base import Section

if TYPE_CHECKING:
    from daemon.interaction.graph import PluginStep, StageTimeouts

#: names ``depends_on`` may use besides other plug-in steps (daemon.interaction.graph.CORE_STEPS)
CORE_STEPS = ("transcription", "acoustic", "emotion", "reply", "speech", "alerts", "history")
Priority = Literal["critical", "high", "normal", "low", "batch"]

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def _target(value: str) -> str:
    if not _TARGET.match(value):
        raise ValueError(f"{value!r} is not of the form 'package.module:function'")
    return value


PluginTarget = Annotated[str, AfterValidator(_target)]


class StageTimeoutsConfig(Section):
    """Seconds each built-in step may run before it times out (and its dependents are cancelled)."""

    transcription: float = Field(default=30.0, gt=0, le=600, description="speech to text")
    emotion: float = Field(default=10.0, gt=0, le=600, description="each emotion analysis")
    reply: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="the AI reply (llm.timeout_s bounds the API call inside it)",
    )
    speech: float = Field(default=120.0, gt=0, le=3600, description="speaking the reply")
    alerts: float = Field(
        default=30.0, gt=0, le=600, description="evaluating and sending parent alerts"
    )
    history: float = Field(default=10.0, gt=0, le=600, description="the final history write")

    def to_stage_timeouts(self) -> StageTimeouts:
        from daemon.interaction.graph import StageTimeouts

        return StageTimeouts(**self.model_dump())


class PipelineStepConfig(Section):
    """A plug-in step: runs the processor registered under ``type`` after ``depends_on``."""

    type: str = Field(..., min_length=1, description="task type of the plug-in")
    name: str = Field(default="", description="step name others depend on ('' = the type)")
    depends_on: list[str] = Field(
        default_factory=lambda: ["reply"], description="steps whose results it needs"
    )
    priority: Priority = Field(default="normal", description="critical|high|normal|low|batch")
    timeout: float = Field(
        default=10.0, gt=0, le=600, description="seconds before the step times out"
    )

    @property
    def step_name(self) -> str:
        return self.name or self.type

    def to_plugin_step(self) -> PluginStep:
        from daemon.interaction.graph import PluginStep
        from processors import TaskPriority

        return PluginStep(
            type=self.type,
            depends_on=tuple(self.depends_on),
            priority=TaskPriority[self.priority.upper()],
            timeout=self.timeout,
            name=self.name or None,
        )


class PipelineConfig(Section):
    speak: bool = Field(default=True, description="speak replies (false: text only)")
    max_pending: int = Field(
        default=8, ge=1, le=1000, description="utterances waiting behind the current one"
    )
    timeouts: StageTimeoutsConfig = Field(default_factory=StageTimeoutsConfig)
    steps: list[PipelineStepConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _graph(self) -> PipelineConfig:
        known = set(CORE_STEPS)
        for step in self.steps:
            if step.step_name in known:
                raise ValueError(
                    f"pipeline.steps: step name {step.step_name!r} is used twice or is a built-in "
                    f"step; give it a unique name = '...'"
                )
            known.add(step.step_name)
        for step in self.steps:
            missing = [d for d in step.depends_on if d not in known]
            if missing:
                raise ValueError(
                    f"pipeline.steps: step {step.step_name!r} depends_on unknown {missing}; "
                    f"allowed: {sorted(known - {step.step_name})}"
                )
        cycle = _find_cycle({s.step_name: list(s.depends_on) for s in self.steps})
        if cycle:
            raise ValueError(f"pipeline.steps: depends_on forms a cycle: {' -> '.join(cycle)}")
        return self

    def plugin_steps(self) -> list[PluginStep]:
        return [step.to_plugin_step() for step in self.steps]


def _find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle among plug-in steps (built-in steps never depend on plug-ins)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in edges.get(node, ()):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep in edges and dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in edges:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None
