"""The daemon: start the parts in order, serve until a signal, stop within the deadline.

Start order puts the health endpoint first (so /healthz answers while models load) and readiness
last; unfinished rows of the journal are queued before capture starts. Shutdown: stop capture,
give the interaction being answered ``processor.shutdown_timeout_s`` (utterances still waiting
stay in the journal for the next start), then stop the processor — bounded even if a plug-in
hangs — and save what the history still holds in memory.
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
from daemon.hearing.parental import attach_gate
from daemon.history import (
    ConversationContext,
    HistoryStore,
    HistoryWriter,
    PipelineHistory,
    purge_periodically,
    resolve_history_path,
)
from daemon.history.digest_loop import daily_digests
from daemon.history.guard import HistoryGuard
from daemon.history.journal import Journal
from daemon.history.profile import ProfileContext, ReplyContext
from daemon.interaction.events import EventBus, LatencyTracker, log_event
from daemon.interaction.intake import Intake
from daemon.interaction.pipeline import Pipeline
from daemon.ops.check_wiring import register_checks
from daemon.ops.collector import freeze_startup_objects
from daemon.ops.health import HealthRegistry
from daemon.ops.http import HealthServer
from daemon.ops.http_wiring import build_http_server
from daemon.ops.logsetup import set_level
from daemon.ops.looplag import LoopLagMonitor
from daemon.ops.metrics import TeddyMetrics
from daemon.ops.model_hashes import verify_bundled
from daemon.ops.sdnotify import Notifier, Watchdog
from daemon.ops.shutdown import StopSignals
from processors import AdvancedAsyncProcessor, ProcessingType

if TYPE_CHECKING:
    from daemon.hearing.echo import PlaybackReference
    from daemon.hearing.endpointing import SpeechEnded
    from daemon.hearing.gate import ListeningGate
    from daemon.hearing.listener import Listener
    from daemon.interaction.wiring import Stages
    from daemon.wyoming.conversation import ConversationServer

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
        freeze_at_ready: bool = False,
    ) -> None:
        """``listen=False, serve_http=False`` is the headless form ``teddy chat`` uses;
        ``freeze_at_ready`` is ``teddy run``'s (daemon/ops/collector.py), not a test process's."""
        self.config = config
        self.freeze_at_ready = freeze_at_ready
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
        self.guard = HistoryGuard()
        self.journal: Journal | None = None
        self.intake: Intake | None = None
        self.http: HealthServer | None = None
        self.pipeline: Pipeline | None = None
        self.listener: Listener | None = None
        self.gate: ListeningGate | None = None  # parental controls
        self.reference: PlaybackReference | None = None  # what the bear played (barge-in)
        self.stages: Stages | None = None
        self.watchdog: Watchdog | None = None
        self.conversation: ConversationServer | None = None  # Home Assistant's way in
        self._background: list[asyncio.Task[Any]] = []
        self._stop = asyncio.Event()
        self._signal_guard: StopSignals | None = None
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
        self.store = await HistoryStore.open(resolve_history_path(cfg.history.path))
        self.journal = Journal(self.store, store_audio=cfg.history.store_audio)
        self.guard.start()
        self.metrics.watch_history(lambda: self.guard.held)
        self.processor = self._make_processor()
        await self.processor.start()
        self.metrics.attach(self.processor)
        self.bus.subscribe(self.latency)
        self.bus.subscribe(self.metrics.on_event)
        self.bus.subscribe(log_event)
        if self.serve_http:
            await self._start_http()

        from daemon.interaction.wiring import build_stages

        self.listener = self._make_listener() if self.listen else None
        gate = self.listener.bear_speaking if self.listener is not None else None
        journal = self.journal
        self.stages = build_stages(
            cfg,
            output_device=self.output_spec,
            on_speaking=gate,
            playback_tap=self.reference.played if self.reference is not None else None,
            speaking_mark=lambda iid: self.guard.write(
                "speaking mark", lambda: journal.speaking(iid)
            ),
        )
        if self.listener is not None:  # speculative STT at short pauses (hearing -> stt, issue 11)
            self.listener.speculator = self.stages.transcriber
        self.stages.register(self.processor)
        history_writer = HistoryWriter(self.store, self.guard)
        self.processor.register_processor(ProcessingType.DATABASE_OPERATION, history_writer)
        self.processor.load_plugins(dict(cfg.plugins))

        self.notifier.status("loading models")
        await self.stages.load(speech=cfg.pipeline.speak, transcription=self.listen)
        for mismatch in await asyncio.to_thread(verify_bundled):  # health says: models unhealthy
            log.error("model file altered: %s", mismatch)
            self.stages.models[f"sha256:{mismatch.path.name}"] = str(mismatch)
        self.health.set_ready("models", self.stages.loaded)

        history = PipelineHistory(self.journal, self.guard)
        self.pipeline = Pipeline(
            self.processor,
            history,
            self.bus,
            context=ReplyContext(
                ConversationContext(self.store, cfg.llm.history_turns, cfg.llm.session_timeout_s),
                ProfileContext(self.store, lambda: self.config.memory.model_dump()),
            ),
            plugin_steps=cfg.pipeline.plugin_steps(),
            timeouts=cfg.pipeline.timeouts.to_stage_timeouts(),
            speak=cfg.pipeline.speak,
            memory=cfg.memory.enabled,
        )
        self.processor.on_task_started(self.pipeline.on_task_started)
        self.processor.on_task_finished(self.pipeline.on_task_finished)
        self.intake = Intake(
            self.pipeline,
            history,
            self.journal,
            max_pending=cfg.pipeline.max_pending,
            on_drop=self.metrics.count_drop,
        )
        if self.listener is not None:  # parental controls; today's count comes from the history
            intake = self.intake
            parts = (self.store, self.guard, self.stages, self.listener, lambda: intake.pending)
            self.gate = await attach_gate(cfg, *parts)
        self._register_checks()
        if self.listener is None:
            return  # headless: no capture, no resume, no background upkeep, no READY
        plan = await self.guard.read(
            "reading the journal's unfinished rows",
            lambda: journal.resume_plan(cfg.history.resume_max_age_s, speak=cfg.pipeline.speak),
            [],
        )
        self.intake.resume(plan)
        self.intake.start()
        if cfg.wyoming.listen:  # the optional extra teddy[wyoming]; imported only when used
            from daemon.wyoming.conversation import start_conversation

            self.conversation = await start_conversation(cfg.wyoming.listen, self.pipeline)
        self.listener.start()
        if self.gate is not None:
            self._spawn(self.gate.run(), "parental")
        self._spawn(self._watch_capture(), "capture-watch")
        self._spawn(
            purge_periodically(
                self.store,
                lambda: self.config.history.retention_days,
                lambda: self.config.history.purge_interval_h * 3600.0,
            ),
            "history-purge",
        )
        self._spawn(daily_digests(self), "digest")
        self.watchdog = Watchdog.from_env(self.notifier, self._alive, self.env)
        if self.watchdog is not None:
            self.watchdog.start()
        if self.freeze_at_ready:  # no full collection walks them mid-reply (collector.py)
            log.info("%d objects frozen at ready", freeze_startup_objects())
        state = "listening" if self.listener.source.state.present else "waiting for a microphone"
        self.notifier.ready(f"{state}; llm {self.stages.llm_state()[0]}")
        log.info("teddy is up (%s); health on %s", state, self.http.url if self.http else "-")

    async def stop(self) -> None:
        """Idempotent; each part is stopped even if an earlier one failed."""
        self.notifier.stopping("stopping")
        deadline = time.monotonic() + self.config.processor.shutdown_timeout_s
        if self.listener is not None:
            await _quietly(self.listener.stop(), "capture")
        if self.conversation is not None:
            await _quietly(self.conversation.stop(), "wyoming")
        if self.intake is not None:
            finished = await self.intake.stop(max(0.0, deadline - time.monotonic()))
            if not finished:
                log.warning("shutdown: the interaction in progress was cut off by the deadline")
        if self.processor is not None:
            grace = max(0.5, deadline - time.monotonic())
            # capped: the processor's own steps each take a minimum second or so
            stop = asyncio.wait_for(self.processor.shutdown(timeout=grace), grace + 1.0)
            await _quietly(stop, "processor")
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background.clear()
        if self.watchdog is not None:
            await _quietly(self.watchdog.stop(), "watchdog")
        if self.gate is not None:
            await _quietly(self.gate.aclose(), "parental gate")
        if self.stages is not None:
            await _quietly(self.stages.aclose(), "stages")
        if self.http is not None:
            await _quietly(self.http.stop(), "http")
        await _quietly(self.guard.stop(min(2.0, max(0.2, deadline - time.monotonic()))), "history")
        if self.store is not None:
            await _quietly(self.store.close(), "history")
        await _quietly(self.looplag.stop(), "loop-lag monitor")
        self.notifier.close()
        self.listener = self.pipeline = self.processor = self.store = self.http = None
        self.intake = self.journal = self.gate = None

    # -- parts ----------------------------------------------------------------------------------

    def _make_processor(self) -> AdvancedAsyncProcessor:
        # [processor]'s keys are the constructor's, but for the daemon's own shutdown grace
        settings = self.config.processor.model_dump(exclude={"shutdown_timeout_s"})
        return AdvancedAsyncProcessor(**settings)

    def _make_listener(self) -> Listener:
        from daemon.hearing.assembly import build_listener
        from daemon.interaction.interrupting import BargeInHandler

        listener, self.reference = build_listener(
            self.config,
            self.input_spec,
            fast_replay=self.fast_replay,
            on_utterance=self._on_utterance,
            on_barge_in=BargeInHandler(lambda: self.stages.speaker if self.stages else None),
            backlog_room=self._backlog_room,
        )
        return listener

    async def _backlog_room(self) -> None:
        if self.intake is not None:
            await self.intake.room()

    def _on_utterance(self, event: SpeechEnded) -> None:
        if self.intake is not None:
            self.intake.hear(event.audio, SAMPLE_RATE, event.ended_at)

    async def _start_http(self) -> None:
        assert self.processor is not None
        self.http = build_http_server(self, self.processor)
        await self.http.start()

    def _register_checks(self) -> None:
        assert self.processor is not None and self.store is not None
        register_checks(
            self.health,
            self.config.health,
            processor=self.processor,
            looplag=self.looplag,
            history=self.guard,
            history_path=self.store.path,
            listener=self.listener,
            stages=self.stages,
            backlog=self.intake,
            gate=self.gate,
        )

    def _apply_live(self) -> None:
        cfg = self.config
        if self.stages is not None:
            self.stages.apply_live(cfg)
        if self.listener is not None:
            endpointer = self.listener.endpointer
            endpointer.threshold = cfg.vad.threshold
            endpointer.neg_threshold = max(0.0, cfg.vad.threshold - 0.15)
        if self.gate is not None:
            self.gate.apply(cfg.parental)
        context = getattr(self.pipeline, "context", None)
        conversation = getattr(context, "conversation", context)
        if isinstance(conversation, ConversationContext):
            conversation.turns = cfg.llm.history_turns
            conversation.session_timeout_s = cfg.llm.session_timeout_s
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
        self._signal_guard = StopSignals(
            loop, self._on_stop_signal, lambda: self.config.processor.shutdown_timeout_s
        )
        self._signal_guard.install()
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload(), "reload"))

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        log.info("%s: shutting down (again to exit at once)", sig.name)
        self._stop.set()

    async def reload(self) -> str:
        """SIGHUP (and the parent page's settings): apply what may change live, log what needs a
        restart; a bad file is refused. Returns the one-line outcome."""
        self.notifier.reloading()
        outcome = "reload refused"
        try:
            plan = reload_config(self.config, self.config_path, self.env)
        except Exception as exc:
            log.error("reload refused, keeping the running config: %s", exc)
            outcome = f"reload refused, keeping the running config: {exc}"
        else:
            self.config = plan.config
            set_level(self.config.logging.level)
            try:
                self._apply_live()
            except Exception:
                log.exception("reload: applying the new settings failed")
            log.info("reload: %s", plan.summary())
            outcome = plan.summary()
        self.notifier.ready("reloaded")
        return outcome


async def _quietly(coro: Any, what: str) -> None:
    try:
        await coro
    except Exception:
        log.exception("shutdown: stopping %s failed", what)
