"""Barge-in onsets: is this voiced window the child talking over the bear, or the bear's echo?

While the bear speaks (and for the echo tail after), the endpointer sees audio the echo canceller
has already cleaned; what is left of the bear's voice (the residual echo) can still look like
speech to the VAD. A window is a hit when the VAD calls it voiced and it is ``margin_db`` louder
than the residual echo the canceller expects at that moment (``echo_level``) and than
``min_dbfs``. A barge-in is ``hits`` hits within ``span`` windows (speech has quiet consonants
and gaps, so the hits need not be consecutive).

The bear pauses at the first stir (``BargeInSuspected``) rather than at the barge-in, and the
pause is undone (``BargeInDismissed``) if no barge-in follows within ``span`` windows, as voice
agents do with a "false interruption". A stir is a hit, or a window that is loud without being
voiced: the "St" of "Stop!" is a hiss the VAD does not call speech, ~0.1 s before the vowel, and
it is what a child's interruption opens with, while what is left of the bear's echo is mostly
its voiced sound (so a quiet voiced window is no stir: it has to be a hit). Loud here means over
``stir_dbfs``, over the expected echo by ``margin_db``, and ``rise_db`` over what the room
sounded like lately (the mean power of the last ``background_s`` net of the expected echo): a
murmuring TV's loud syllables are no rise, a hiss out of the bear's cleaned echo is. The stop
itself still needs the full count of voiced hits, and then (``Endpointer``) voice lasting as long
as an utterance: a lone stir or a short burst (a cough, a door, the bear's echo after a slip) costs
a short gap in the story, never the story.
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
    """A first stir while the bear speaks: the bear pauses until the guard decides."""

    t: float


@dataclass(frozen=True)
class BargeInDismissed:
    """The stirs since a ``BargeInSuspected`` did not add up: the bear goes on where it paused."""

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
        stir_dbfs: float = -41.0,
        rise_db: float = 14.0,
        background_s: float = 1.0,
    ) -> None:
        if not 1 <= hits <= span:
            raise ValueError(f"barge-in needs 1 <= hits <= span, got {hits} and {span}")
        self.echo_level = echo_level
        self.hits = hits
        self.span = span
        self.margin = 10 ** (margin_db / 10)
        self.min_power = 10 ** (min_dbfs / 10)
        self.stir_power = 10 ** (stir_dbfs / 10)
        self.rise = 10 ** (rise_db / 10)
        self.background_samples = max(1.0, background_s * SAMPLE_RATE)
        # the mean power of what was heard lately (a TV, a murmur); kept across replies: it is
        # the room's, not the reply's
        self.background = 0.0
        self._room_heard = False
        self._recent: deque[tuple[float, bool, bool]] = deque(maxlen=span)  # (t, hit, stir)
        self.rejected = 0  # stirs that did not add up to a barge-in

    def reset(self) -> None:
        self._recent.clear()

    @property
    def suspecting(self) -> bool:
        """A stir within the last ``span`` windows that is not (yet) a barge-in."""
        return any(s for _, _, s in self._recent)

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
        power = float(np.mean(np.square(window)))
        echo = self.echo_level(t, window.size / SAMPLE_RATE) if self.echo_level else 0.0
        over_echo = self.margin * echo
        hit = voiced and power >= max(self.min_power, over_echo)
        # until the room's level is known (the first window), only a hit pauses the bear; a
        # voiced window must be a hit: the bear's residual echo is its voice, seldom its hiss
        loud = power >= max(self.stir_power, over_echo, self.rise * self.background)
        stir = hit or (self._room_heard and not voiced and loud)
        # the room's level follows every window heard while the bear speaks, the child's too,
        # net of the echo expected: a loud residual echo (a first story, before the canceller
        # has converged) is the bear's, and lifting the room by it would hide the child's "St"
        room = max(0.0, power - echo)
        weight = min(1.0, window.size / self.background_samples) if self._room_heard else 1.0
        self.background += (room - self.background) * weight
        self._room_heard = True
        had = self.suspecting
        self._recent.append((t, hit, stir))
        hits = [at for at, h, _ in self._recent if h]
        if len(hits) >= self.hits:
            self._recent.clear()
            return hits[0]
        if had and not self.suspecting:
            self.rejected += 1
        return None
