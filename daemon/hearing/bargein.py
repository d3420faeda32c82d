"""Barge-in onsets: is this voiced window the child talking over the bear, or the bear's echo?

While the bear speaks (and for the echo tail after), the endpointer sees audio the echo canceller
has already cleaned; what is left of the bear's voice (the residual echo) can still look like
speech to the VAD. A window is a hit when the VAD calls it voiced and it is ``margin_db`` louder
than the residual echo the canceller expects at that moment (``echo_level``) and than
``min_dbfs``. A barge-in is ``hits`` hits within ``span`` windows (speech has quiet consonants
and gaps, so the hits need not be consecutive).

The bear pauses at the first hit (``BargeInSuspected``) rather than at the barge-in: a child's
"Stop!" is heard a window sooner, and the pause is undone (``BargeInDismissed``) if the hits do
not add up, as voice agents do with a "false interruption". The stop itself still needs the full
count: a lone hit (a cough, the bear's echo after a slip) costs a short gap in the story, never
the story.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from daemon.hearing.frames import SAMPLE_RATE

Float32Array = npt.NDArray[np.float32]

#: ``echo_level(t, duration)``: expected residual echo power in that span (0 = none)
EchoLevel = Callable[[float, float], float]


@dataclass(frozen=True)
class BargeIn:
    """The endpointer's event: the child's voice over the bear was confirmed."""

    t: float  # when it was confirmed
    started_at: float  # the first loud voiced window of it


@dataclass(frozen=True)
class BargeInSuspected:
    """A first hit while the bear speaks: the bear pauses until the guard decides."""

    t: float


@dataclass(frozen=True)
class BargeInDismissed:
    """The hits since a ``BargeInSuspected`` did not add up: the bear goes on where it paused."""

    t: float


class OnsetGuard:
    """Fed every window heard while the bear speaks; says when the child barged in."""

    def __init__(
        self,
        echo_level: EchoLevel | None = None,
        *,
        hits: int = 2,
        span: int = 4,
        margin_db: float = 9.0,
        min_dbfs: float = -35.0,
    ) -> None:
        if not 1 <= hits <= span:
            raise ValueError(f"barge-in needs 1 <= hits <= span, got {hits} and {span}")
        self.echo_level = echo_level
        self.hits = hits
        self.span = span
        self.margin = 10 ** (margin_db / 10)
        self.min_power = 10 ** (min_dbfs / 10)
        self._recent: deque[tuple[float, bool]] = deque(maxlen=span)  # (t, hit)
        self.rejected = 0  # hits that did not add up to a barge-in

    def reset(self) -> None:
        self._recent.clear()

    @property
    def suspecting(self) -> bool:
        """A hit within the last ``span`` windows that is not (yet) a barge-in."""
        return any(h for _, h in self._recent)

    def suspicion(
        self, was: bool, t: float, bear_speaking: bool
    ) -> list[BargeInSuspected | BargeInDismissed]:
        """The event a ``feed`` that confirmed nothing brought, given ``suspecting`` before it."""
        if not was and self.suspecting and bear_speaking:
            return [BargeInSuspected(t)]
        if was and not self.suspecting:
            return [BargeInDismissed(t)]
        return []

    def feed(self, window: Float32Array, t: float, voiced: bool) -> float | None:
        """The time of the barge-in's first hit when ``window`` completes one, else None."""
        hit = voiced and self._loud(window, t)
        had = self.suspecting
        self._recent.append((t, hit))
        hits = [at for at, h in self._recent if h]
        if len(hits) >= self.hits:
            self._recent.clear()
            return hits[0]
        if had and not hits:
            self.rejected += 1
        return None

    def _loud(self, window: Float32Array, t: float) -> bool:
        power = float(np.mean(np.square(window)))
        echo = self.echo_level(t, window.size / SAMPLE_RATE) if self.echo_level else 0.0
        return power >= max(self.min_power, self.margin * echo)
