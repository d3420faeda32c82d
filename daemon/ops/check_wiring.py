"""Which health checks the daemon registers, with the thresholds of ``[health]`` bound in
(re-run on SIGHUP, since the thresholds are live)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from daemon.config.sections import HealthConfig
from daemon.ops.bargein_check import barge_in_check
from daemon.ops.gate_check import listening_check
from daemon.ops.health import HealthRegistry
from daemon.ops.health_checks import (
    Backlog,
    HistoryWrites,
    PerformanceSource,
    RemoteLink,
    backlog_check,
    capture_check,
    history_check,
    llm_check,
    loop_lag_check,
    model_check,
    processor_check,
    wyoming_check,
)
from daemon.ops.looplag import LoopLagMonitor

if TYPE_CHECKING:
    from daemon.hearing.gate import ListeningGate
    from daemon.hearing.listener import Listener
    from daemon.interaction.wiring import Stages


def register_checks(
    health: HealthRegistry,
    h: HealthConfig,
    *,
    processor: PerformanceSource,
    looplag: LoopLagMonitor,
    history: HistoryWrites,
    history_path: Path,
    listener: Listener | None = None,
    stages: Stages | None = None,
    backlog: Backlog | None = None,
    gate: ListeningGate | None = None,
) -> None:
    health.register(
        "processor",
        processor_check(
            processor, max_queue_size=h.max_queue_depth, min_success_rate=h.min_success_rate
        ),
    )
    if listener is not None:
        health.register("capture", capture_check(lambda: listener.source.state))
        health.register("barge_in", barge_in_check(listener))
    if gate is not None:
        health.register("listening", listening_check(gate.status))
    if stages is not None:
        health.register("models", model_check(lambda: stages.models))
        health.register("llm", llm_check(stages.llm_state))

        def links() -> list[RemoteLink]:
            return [*stages.transcriber.links(), *stages.speaker.chain.links()]

        if links():  # only with stt/tts backend "wyoming"
            health.register("wyoming", wyoming_check(links))
    health.register("database", history_check(history, history_path))
    if backlog is not None:
        health.register("backlog", backlog_check(backlog))
    health.register(
        "event_loop",
        loop_lag_check(
            looplag, degraded_s=h.loop_lag_degraded_s, unhealthy_s=h.loop_lag_unhealthy_s
        ),
    )
