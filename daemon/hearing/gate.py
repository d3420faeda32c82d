"""The listening gate: whether the bear may hear the child now (the parent's controls).

States, first match wins:

- ``sleeping``: inside ``parental.quiet_hours`` (local wall time). The VAD still runs, but no
  utterance goes on (no STT, no reply, no history row). When the child speaks, the bear says once
  per quiet period that it is sleeping time. It wakes by itself when the span ends.
- ``limit_reached``: today's talk time (``daemon/history/talktime.py``, from the history, so a
  restart keeps it) reached ``parental.daily_limit_min`` plus what the parent added today
  (:meth:`ListeningGate.extend_today`). The bear says goodbye once and hears nothing more until
  the next local day. An utterance already begun when the limit is reached is still answered.
- ``waiting_for_button``: ``parental.trigger = "button"`` and the paw button is not held. Frames
  do not even reach the VAD; releasing the button mid-utterance closes the utterance (it is
  answered, not lost).
- ``listening``.

The listener asks :meth:`hears_frames` per frame and :meth:`screen` per endpointer event; the
daemon runs :meth:`run` (refreshes the talk time, says goodbye when the limit is crossed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from daemon.config.family import ParentalConfig
from daemon.hearing.endpointing import (
    Endpointer,
    Event,
    FrameSource,
    SpeechEnded,
    SpeechStarted,
    UtteranceDropped,
)
from daemon.hearing.schedule import Clock, QuietHours, day_bounds, system_clock
from daemon.hearing.trigger import Button, ButtonUnavailable, open_button

log = logging.getLogger(__name__)

State = Literal["listening", "sleeping", "limit_reached", "waiting_for_button"]
#: ``say(kind, text)``: the daemon's speaker says a line ("sleeping" | "limit_reached")
Say = Callable[[str, str], Awaitable[object]]
#: ``ledger(day_start, day_end, now) -> (talk seconds, interactions in progress)``
Ledger = Callable[[dt.datetime, dt.datetime, dt.datetime], Awaitable[tuple[float, int]]]
ButtonOpener = Callable[[str], Button]

SLEEPING_LINE = (
    "Shh, it is sleeping time now. Teddy is sleeping too. We can talk again in the morning. "
    "Good night!"
)
GOODBYE_LINE = (
    "We talked so much today, thank you! Teddy needs to rest now. Let's talk again tomorrow. "
    "Bye bye!"
)
LINES: dict[str, str] = {"sleeping": SLEEPING_LINE, "limit_reached": GOODBYE_LINE}


@dataclass(frozen=True)
class Verdict:
    state: State
    reason: str
    until: dt.datetime | None  # when this state ends by itself (None: on a button press)


class ListeningGate:
    def __init__(
        self,
        config: ParentalConfig,
        *,
        clock: Clock | None = None,
        ledger: Ledger | None = None,
        say: Say | None = None,
        busy: Callable[[], bool] | None = None,
        button_opener: ButtonOpener = open_button,
        refresh_s: float = 5.0,
    ) -> None:
        self.clock = clock or system_clock()
        self.ledger = ledger
        self.say = say
        self.busy = busy or (lambda: False)
        self.refresh_s = refresh_s
        self._open_button = button_opener
        self.button: Button | None = None
        self.button_error: str | None = None
        self._button_spec: str | None = None
        self._seconds = 0.0  # talk time of ``_counted_day`` at ``_counted_at``
        self._open = 0
        self._counted_day: dt.date | None = None
        self._counted_at: dt.datetime | None = None
        self._extra: dict[dt.date, int] = {}  # minutes the parent added, per local day
        self._under_limit_on: dt.date | None = None  # the limit was crossed while we ran
        self._said: dict[tuple[str, str], None] = {}  # (kind, period) lines said, oldest first
        self._admitting: bool | None = None  # the open utterance's verdict, taken at its start
        self._last_state: State | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.refused = 0
        self.announced: dict[str, int] = {}
        self.apply(config)

    # -- configuration --------------------------------------------------------------------------
    def apply(self, config: ParentalConfig) -> None:
        """New ``[parental]`` settings (start, SIGHUP); the button is reopened if it changed."""
        self.config = config
        self.quiet = QuietHours(config.quiet_hours)
        spec = config.button if config.trigger == "button" else None
        if spec != self._button_spec:
            self._close_button()
            self._button_spec = spec
            if spec is not None:
                try:
                    self.button = self._open_button(spec)
                except ButtonUnavailable as exc:
                    self.button_error = str(exc)
                    log.error("push-to-talk button %s unavailable: %s", spec, exc)

    def _close_button(self) -> None:
        if self.button is not None:
            try:
                self.button.close()
            except Exception:
                log.exception("closing the push-to-talk button failed")
        self.button, self.button_error = None, None

    # -- the verdict ----------------------------------------------------------------------------
    def limit_s(self, day: dt.date) -> float | None:
        if self.config.daily_limit_min <= 0:
            return None
        return (self.config.daily_limit_min + self._extra.get(day, 0)) * 60.0

    def talk_seconds(self, now: dt.datetime) -> float:
        if self._counted_day != now.date() or self._counted_at is None:
            return 0.0  # a new day (until the next refresh reads it)
        # Between refreshes an interaction in progress keeps counting (one runs at a time).
        elapsed = now.astimezone(dt.UTC) - self._counted_at.astimezone(dt.UTC)  # real, not wall
        growing = max(0.0, elapsed.total_seconds()) if self._open else 0.0
        return self._seconds + min(growing, 2 * self.refresh_s)

    def verdict(self, now: dt.datetime | None = None) -> Verdict:
        now = now or self.clock()
        quiet_until = self.quiet.until(now)
        if quiet_until is not None:
            span = self.quiet.current(now)
            return Verdict("sleeping", f"quiet hours {span.text if span else ''}", quiet_until)
        limit = self.limit_s(now.date())
        if limit is not None:
            if self.talk_seconds(now) >= limit:
                minutes = round(limit / 60)
                return Verdict("limit_reached", f"daily limit of {minutes} min", day_bounds(now)[1])
            self._under_limit_on = now.date()
        if self._button_spec is not None and not self._button_pressed():
            reason = f"button unavailable: {self.button_error}" if self.button_error else ""
            return Verdict("waiting_for_button", reason or "push-to-talk: button not held", None)
        return Verdict("listening", "", None)

    def _button_pressed(self) -> bool:
        if self.button is None:
            return False
        try:
            return self.button.pressed
        except Exception:  # a failing button keeps the bear deaf, never crashes capture
            log.exception("reading the push-to-talk button failed")
            return False

    # -- per frame / per event (the listener) ---------------------------------------------------
    def hears_frames(self) -> bool:
        """False while push-to-talk waits for the button: frames must not reach the VAD."""
        return self._button_spec is None or self._button_pressed()

    def screen(self, event: Event) -> bool:
        """Whether the event goes on to the listener (and so to STT and the history)."""
        if isinstance(event, SpeechStarted):
            verdict = self.verdict()
            self._admitting = verdict.state == "listening"
            if not self._admitting:
                log.info("not listening (%s: %s): speech ignored", verdict.state, verdict.reason)
            return self._admitting
        if isinstance(event, SpeechEnded):
            admitted = self._admitting if self._admitting is not None else self._admit_now()
            self._admitting = None
            if not admitted:
                self.refused += 1
                self._explain(self.verdict())
            return admitted
        if isinstance(event, UtteranceDropped):
            self._admitting = None
            return True
        # pauses/resumes of a refused utterance must not start a speculative transcription
        return self._admitting is not False

    def _admit_now(self) -> bool:
        return self.verdict().state == "listening"

    def _explain(self, verdict: Verdict) -> None:
        """Say why the bear did not answer, once per quiet period / once per day."""
        if verdict.state == "sleeping" and verdict.until is not None:
            self._announce("sleeping", verdict.until.isoformat())
        elif verdict.state == "limit_reached" and verdict.until is not None:
            self._announce("limit_reached", verdict.until.date().isoformat())

    def _announce(self, kind: str, period: str) -> None:
        if (kind, period) in self._said:
            return
        self._said[(kind, period)] = None
        while len(self._said) > 16:  # months of nights: only the recent periods matter
            del self._said[next(iter(self._said))]
        self.announced[kind] = self.announced.get(kind, 0) + 1
        if self.say is None:
            log.info("parental: would say the %s line (no speaker)", kind)
            return
        task = asyncio.get_running_loop().create_task(self._say(kind))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _say(self, kind: str) -> None:
        assert self.say is not None
        log.info("parental: speaking the %s line", kind)
        try:
            await self.say(kind, LINES[kind])
        except Exception as exc:  # e.g. no output device: one line, the bear keeps going
            log.error("parental: the %s line could not be said (%s: %s)", kind, _name(exc), exc)
        else:
            log.info("parental: the %s line was said", kind)

    # -- the parent's levers ----------------------------------------------------------------------
    def extend_today(self, minutes: int) -> dict[str, Any]:
        """Allow ``minutes`` more talk today (1-1440); returns the new :meth:`status`."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 1440:
            raise ValueError(
                f"extend_today: minutes must be a whole number 1-1440, got {minutes!r}"
            )
        today = self.clock().date()
        self._extra = {today: self._extra.get(today, 0) + minutes}  # earlier days are over
        self._said = {s: None for s in self._said if s[0] != "limit_reached"}  # goodbye again
        log.info("parental: today's limit extended by %d min", minutes)
        return self.status()

    def status(self) -> dict[str, Any]:
        now = self.clock()
        verdict = self.verdict(now)
        limit = self.limit_s(now.date())
        return {
            "state": verdict.state,
            "reason": verdict.reason,
            "minutes_today": round(self.talk_seconds(now) / 60.0, 1),
            "limit_min": round(limit / 60) if limit is not None else 0,
            "extended_min": self._extra.get(now.date(), 0),
            "until": verdict.until.isoformat(timespec="minutes") if verdict.until else None,
            "trigger": self.config.trigger,
            "button": self._button_spec,
            "button_error": self.button_error,
            "refused": self.refused,
            "announced": dict(self.announced),
        }

    # -- background -----------------------------------------------------------------------------
    async def refresh(self) -> None:
        """Re-read today's talk time from the history (keeps the last value if that fails)."""
        if self.ledger is None:
            return
        now = self.clock()
        start, end = day_bounds(now)
        try:
            seconds, still_open = await self.ledger(start, end, now)
        except Exception as exc:
            log.warning("parental: reading today's talk time failed (%s); keeping the last", exc)
            return
        self._seconds, self._open = seconds, still_open
        self._counted_day, self._counted_at = now.date(), now

    async def run(self, tick_s: float = 1.0) -> None:
        """Refresh the talk time, log state changes, say goodbye when the limit is crossed."""
        since_refresh = float("inf")
        while True:
            if since_refresh >= self.refresh_s:
                await self.refresh()
                since_refresh = 0.0
            self.tick()
            await asyncio.sleep(tick_s)
            since_refresh += tick_s

    def tick(self) -> None:
        """One look at the state: log a change; goodbye once the child is not mid-sentence."""
        now = self.clock()
        crossed_today = self._under_limit_on == now.date()
        verdict = self.verdict(now)
        if verdict.state != self._last_state:
            until = f" until {verdict.until.isoformat(timespec='minutes')}" if verdict.until else ""
            log.info("parental: %s (%s)%s", verdict.state, verdict.reason or "-", until)
            self._last_state = verdict.state
        if verdict.state == "limit_reached" and crossed_today and not self.busy():
            self._explain(verdict)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._close_button()


async def gated_events(
    source: FrameSource, endpointer: Endpointer, gate: ListeningGate
) -> AsyncIterator[Event]:
    """Like ``endpointing.listen``, but frames pass only while the gate hears them; when it stops
    (the button is released) an open utterance is closed as if silence followed."""
    hearing = True
    async for frame in source.frames():
        if not gate.hears_frames():
            if hearing:
                hearing = False
                for event in endpointer.flush():
                    yield event
                endpointer.reset()
            continue
        hearing = True
        for event in endpointer.process(frame):
            yield event
    for event in endpointer.flush():
        yield event


def _name(exc: BaseException) -> str:
    return type(exc).__name__
