"""Put the hearing together from the config: source (device or replay), optional echo canceller
(``audio.barge_in``: full duplex), endpointer with its barge-in onset guard, and the listener."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from daemon.config import TeddyConfig
from daemon.hearing import open_source
from daemon.hearing.bargein import OnsetGuard
from daemon.hearing.echo import EchoCanceller, PlaybackReference
from daemon.hearing.endpointing import Endpointer
from daemon.hearing.listener import Listener, UtteranceHandler
from daemon.hearing.speech_events import BargeInEvent
from daemon.interaction.intake import PacedSource


def build_listener(
    cfg: TeddyConfig,
    input_spec: int | str | None,
    *,
    fast_replay: bool,
    on_utterance: UtteranceHandler,
    on_barge_in: Callable[[BargeInEvent], None],
    backlog_room: Callable[[], Awaitable[None]],
) -> tuple[Listener, PlaybackReference | None]:
    """The listener, and the playback reference the speaker must feed (None in half duplex)."""
    reference = echo = None
    if cfg.audio.barge_in:  # full duplex: hear the child over the bear, minus its own echo
        reference = PlaybackReference()
        echo = EchoCanceller(reference)
    endpointer = Endpointer.from_config(
        cfg.vad.model_dump(),
        max_utterance_s=cfg.audio.max_utterance_s,
        guard=OnsetGuard(echo.echo_level) if echo is not None else None,
    )
    source: Any = open_source(input_spec, fast=fast_replay)
    if fast_replay:  # replay no faster than the pipeline drains its backlog
        source = PacedSource(source, backlog_room)
    listener = Listener(source, endpointer, on_utterance, echo=echo, on_barge_in=on_barge_in)
    return listener, reference
