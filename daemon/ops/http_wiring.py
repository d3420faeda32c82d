"""Build the daemon's HTTP server from its live parts: /healthz, /readyz, /status (with the
daemon's own extra status), /metrics, and the parent page mounted on the same server."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

from daemon.ops.http import HealthServer
from daemon.parent.wiring import DaemonParts, parent_site

if TYPE_CHECKING:
    from daemon.interaction.events import LatencyTracker
    from daemon.interaction.intake import Intake
    from daemon.ops.metrics import TeddyMetrics
    from processors import AdvancedAsyncProcessor


class ServedDaemon(DaemonParts, Protocol):
    """What the server reads (``daemon.app.Daemon`` has all of it); read on every request, so
    parts started after the server (stages, listener, gate) show up when they exist."""

    @property
    def metrics(self) -> TeddyMetrics: ...

    @property
    def latency(self) -> LatencyTracker: ...

    @property
    def intake(self) -> Intake | None: ...


def build_http_server(daemon: ServedDaemon, processor: AdvancedAsyncProcessor) -> HealthServer:
    async def status_extra() -> dict[str, Any]:
        listener, stages, intake, gate = daemon.listener, daemon.stages, daemon.intake, daemon.gate
        return {
            "capture": listener.source.state.snapshot() if listener else None,
            "llm": stages.responder.health() if stages else None,
            "models": dict(stages.models) if stages else {},
            "pipeline": {"pending": intake.pending if intake else 0},
            "parental": gate.status() if gate else None,
            "asyncio_tasks": len(asyncio.all_tasks()),  # a leak shows up here first
        }

    h = daemon.config.health
    return HealthServer(
        daemon.health,
        daemon.metrics,
        host=h.host,
        port=h.port,
        token=h.token,
        processor_metrics=processor.get_performance_metrics,
        latencies=daemon.latency.summary,
        extra_status=status_extra,
        site=parent_site(daemon),
    )
