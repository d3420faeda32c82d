"""The daemon: start the parts in order, serve until a signal, stop within the deadline.

Start order puts the health endpoint first (so /healthz answers while models load) and readiness
last. Shutdown follows saq's worker: stop intake (capture), give in-flight interactions
``processor.shutdown_timeout_s`` to finish, then cancel what is left and flush the history.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.config import TeddyConfig, reload_config
from daemon.hearing.frames import SAMPLE_RATE
from daemon.history import (
    ConversationContext,
    HistoryStore,
    HistoryWriter,
    PipelineHistory,
    purge_periodically,
    resolve_history_path,
)
from daemon.interaction.events import EventBus, LatencyTracker, PipelineEvent
from daemon.interaction.pipeline import Pipeline
from daemon.ops.health import HealthRegistry
from daemon.ops.health_checks import (
    capture_check,
    db_check,
    llm_check,
    loop_lag_check,
    model_check,
    processor_check,
)
from daemon.ops.http import HealthServer
from daemon.ops.logsetup import set_level
from daemon.ops.looplag import LoopLagMonitor
from daemon.ops.metrics import TeddyMetrics
from daemon.ops.sdnotify import Notifier, Watchdog
from processors import AdvancedAsyncProcessor, ProcessingType

if TYPE_CHECKING:
    from daemon.hearing.endpointing import SpeechEnded
    from daemon.hearing.listener import Listener
    from daemon.interaction.wiring import Stages

log = logging.getLogger(__name__)


class Daemon:
    def __init__(
        self,
        config: TeddyConfig,
        *,
        config_path: Path | None = None,
        input_spec: int | str | None = None,
        output_spec: int | str | None = None,
        fast_replay: bool = False,
        env: Mapping[str, str] | None = None,
        listen: bool = True,
        serve_http: bool = True,
    ) -> None:
        """``listen=False, serve_http=False`` is the headless form ``teddy chat`` uses."""
        self.config = config
        self.listen = listen
        self.serve_http = serve_http
        self.config_path = config_path
        self.input_spec = input_spec if input_spec is not None else config.audio.input_device
        self.output_spec = output_spec
        self.fast_replay = fast_replay
        self.env = dict(os.environ if env is None else env)
        self.notifier = Notifier(self.env)
        self.bus = EventBus()
        self.latency = LatencyTracker()
        self.metrics = TeddyMetrics()
        self.health = HealthRegistry(ready_flags=("models", "capture"))
        self.looplag = LoopLagMonitor()
        self.processor: AdvancedAsyncProcessor | None = None
        self.store: HistoryStore | None = None
        self.http: HealthServer | None = None
        self.pipeline: Pipeline | None = None
        self.listener: Listener | None = None
        self.stages: Stages | None = None
        self.watchdog: Watchdog | None = None
        self._background: list[asyncio.Task[Any]] = []
        self._stop = asyncio.Event()
        self._signals = 0
        self.exit_code = 0

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> int:
        self._install_signals()
        try:
            await self.start()
            await self._stop.wait()
        finally:
            await self.stop()
        return self.exit_code

    def request_stop(self) -> None:
        self._stop.set()

    async def start(self) -> None:
        cfg = self.config
        self.notifier.status("starting")
        self.looplag.add_listener(self.metrics.observe_loop_lag)
        self.looplag.start()
        self.store = await HistoryStore.open(
            resolve_history_path(cfg.history.path), store_audio=cfg.history.store_audio
        )
        self.processor = self._make_processor()
        await self.processor.start()
        self.metrics.attach(self.processor)
        self.bus.subscribe(self.latency)
        self.bus.subscribe(self.metrics.on_event)
        self.bus.subscribe(_log_event)
        if self.serve_http:
            await self._start_http()

        from daemon.interaction.wiring import build_stages

        self.listener = self._make_listener() if self.listen else None
        gate = self.listener.bear_speaking if self.listener is not None else None
        self.stages = build_stages(cfg, output_device=self.output_spec, on_speaking=gate)
        self.stages.register(self.processor)
        history_writer = HistoryWriter(self.store)
        self.processor.register_processor(ProcessingType.DATABASE_OPERATION, history_writer)
        self.processor.load_plugins(dict(cfg.plugins))
        self._register_checks()

        self.notifier.status("loading models")
        await self.stages.load(speech=cfg.pipeline.speak, transcription=self.listen)
        self.health.set_ready("models", self.stages.loaded)

        history = PipelineHistory(self.store)
        self.pipeline = Pipeline(
            self.processor,
            history,
            self.bus,
            context=ConversationContext(
                self.store, cfg.llm.history_turns, cfg.llm.session_timeout_s
            ),
            plugin_steps=cfg.pipeline.plugin_steps(),
            timeouts=cfg.pipeline.timeouts.to_stage_timeouts(),
            speak=cfg.pipeline.speak,
            max_pending=cfg.pipeline.max_pending,
        )
        self.processor.on_task_started(self.pipeline.on_task_started)
        self.processor.on_task_finished(self.pipeline.on_task_finished)
        self.pipeline.start()
        if self.listener is None:
            return  # headless: no capture, no background upkeep, no READY
        self.listener.start()
        self._spawn(self._watch_capture(), "capture-watch")
        self._spawn(
            purge_periodically(
                self.store,
                lambda: self.config.history.retention_days,
                lambda: self.config.history.purge_interval_h * 3600.0,
            ),
            "history-purge",
        )
        self.watchdog = Watchdog.from_env(self.notifier, self._alive, self.env)
        if self.watchdog is not None:
            self.watchdog.start()
        state = "listening" if self.listener.source.state.present else "waiting for a microphone"
        self.notifier.ready(f"{state}; llm {self.stages.llm_state()[0]}")
        log.info("teddy is up (%s); health on %s", state, self.http.url if self.http else "-")

    async def stop(self) -> None:
        """Idempotent; each part is stopped even if an earlier one failed."""
        self.notifier.stopping("stopping")
        deadline = time.monotonic() + self.config.processor.shutdown_timeout_s
        if self.listener is not None:
            await _quietly(self.listener.stop(), "capture")
        if self.pipeline is not None:
            drained = await self.pipeline.drain(max(0.0, deadline - time.monotonic()))
            if not drained:
                log.warning("shutdown: in-flight interactions cancelled after the grace period")
            await _quietly(self.pipeline.stop(), "pipeline")
        if self.processor is not None:
            grace = max(0.5, deadline - time.monotonic())
            await _quietly(self.processor.shutdown(timeout=grace), "processor")
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background.clear()
        if self.watchdog is not None:
            await _quietly(self.watchdog.stop(), "watchdog")
        if self.stages is not None:
            await _quietly(self.stages.aclose(), "stages")
        if self.http is not None:
            await _quietly(self.http.stop(), "http")
        if self.store is not None:
            await _quietly(self.store.close(), "history")
        await _quietly(self.looplag.stop(), "loop-lag monitor")
        self.notifier.close()
        self.listener = self.pipeline = self.processor = self.store = self.http = None

    # -- parts ----------------------------------------------------------------------------------

    def _make_processor(self) -> AdvancedAsyncProcessor:
        # [processor]'s keys are the constructor's, but for the daemon's own shutdown grace
        settings = self.config.processor.model_dump(exclude={"shutdown_timeout_s"})
        return AdvancedAsyncProcessor(**settings)

    def _make_listener(self) -> Listener:
        from daemon.hearing import open_source
        from daemon.hearing.endpointing import Endpointer
        from daemon.hearing.listener import Listener

        cfg = self.config
        endpointer = Endpointer.from_config(
            cfg.vad.model_dump(), max_utterance_s=cfg.audio.max_utterance_s
        )
        source = open_source(self.input_spec, fast=self.fast_replay)
        return Listener(source, endpointer, self._on_utterance)

    def _on_utterance(self, event: SpeechEnded) -> None:
        if self.pipeline is not None:
            self.pipeline.submit_utterance(event.audio, SAMPLE_RATE, event.ended_at)

    async def _start_http(self) -> None:
        h = self.config.health
        assert self.processor is not None
        processor = self.processor

        async def status_extra() -> dict[str, Any]:
            return {
                "capture": self.listener.source.state.snapshot() if self.listener else None,
                "llm": self.stages.responder.health() if self.stages else None,
                "models": dict(self.stages.models) if self.stages else {},
                "pipeline": {"pending": self.pipeline.pending if self.pipeline else 0},
            }

        self.http = HealthServer(
            self.health,
            self.metrics,
            host=h.host,
            port=h.port,
            token=h.token,
            processor_metrics=processor.get_performance_metrics,
            latencies=self.latency.summary,
            extra_status=status_extra,
        )
        await self.http.start()

    def _register_checks(self) -> None:
        h = self.config.health
        assert self.processor is not None and self.store is not None
        self.health.register(
            "processor",
            processor_check(
                self.processor,
                max_queue_size=h.max_queue_depth,
                min_success_rate=h.min_success_rate,
            ),
        )
        listener, stages = self.listener, self.stages
        if listener is not None:
            self.health.register("capture", capture_check(lambda: listener.source.state))
        if stages is not None:
            self.health.register("models", model_check(lambda: stages.models))
            self.health.register("llm", llm_check(stages.llm_state))
        self.health.register("database", db_check(self.store.path))
        self.health.register(
            "event_loop",
            loop_lag_check(
                self.looplag, degraded_s=h.loop_lag_degraded_s, unhealthy_s=h.loop_lag_unhealthy_s
            ),
        )

    def _apply_live(self) -> None:
        cfg = self.config
        if self.stages is not None:
            self.stages.apply_live(cfg)
        if self.listener is not None:
            endpointer = self.listener.endpointer
            endpointer.threshold = cfg.vad.threshold
            endpointer.neg_threshold = max(0.0, cfg.vad.threshold - 0.15)
        if self.pipeline is not None and isinstance(self.pipeline.context, ConversationContext):
            self.pipeline.context.turns = cfg.llm.history_turns
            self.pipeline.context.session_timeout_s = cfg.llm.session_timeout_s
        if self.processor is not None and self.store is not None:
            self._register_checks()  # health thresholds are bound into the checks

    async def _watch_capture(self) -> None:
        """Readiness follows the microphone; overflows feed the metrics."""
        assert self.listener is not None
        source = self.listener.source
        while True:
            state = source.state
            self.health.set_ready("capture", bool(state.present))
            self.metrics.set_audio_overflows(int(state.overflows))
            await asyncio.sleep(0.5)

    def _alive(self) -> bool:
        """Watchdog verdict: the loop answers (we are running it) and the processor is up."""
        return self.processor is not None and self.processor.running

    def _spawn(self, coro: Any, name: str) -> None:
        self._background.append(asyncio.create_task(coro, name=f"teddy-{name}"))

    # -- signals --------------------------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload(), "reload"))

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("second %s: exiting at once", sig.name)
            os._exit(128 + int(sig))
        log.info("%s: shutting down (again to exit at once)", sig.name)
        self._stop.set()

    async def reload(self) -> None:
        """SIGHUP: apply what may change live, log what needs a restart; a bad file is refused."""
        self.notifier.reloading()
        try:
            plan = reload_config(self.config, self.config_path, self.env)
        except Exception as exc:
            log.error("reload refused, keeping the running config: %s", exc)
        else:
            self.config = plan.config
            set_level(self.config.logging.level)
            try:
                self._apply_live()
            except Exception:
                log.exception("reload: applying the new settings failed")
            log.info("reload: %s", plan.summary())
        self.notifier.ready("reloaded")


async def _quietly(coro: Any, what: str) -> None:
    try:
        await coro
    except Exception:
        log.exception("shutdown: stopping %s failed", what)


def _log_event(event: PipelineEvent) -> None:
    log.debug("event %s %s %s", event.kind.value, event.interaction_id, event.data or "")
