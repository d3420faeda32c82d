"""Whether the reference explains the microphone: the least-squares filter over the last second
(``toeplitz.py``), judged against what the microphone heard there.

A microphone that never hears the speaker (a speakerphone or a headset with its own echo
canceller, the PulseAudio rig) has no echo for the filter to learn. Adapted anyway, the filter
took what the microphone did hear for the bear's echo: its step is normalised by the reference's
power alone, so where the reference was weaker than the microphone's noise (a reply's quiet
first block, 15 dB under it) one block made an echo path of -2 dB, and a child's voice did the
same; as the reference grew louder the filter added the bear's voice (+12 dB over the microphone;
after a child +23 dB, and the next reply began at -16.5 dB ERLE: the rig's -30 dB). So the
canceller adapts only while a solution shows that the reference explains most of what the
microphone heard (``Fit.explains``), drops a filter whose echo the microphone no longer hears
(``Fit.only_adds``), and lets no block out louder than it came in (``EchoCanceller._block``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from daemon.hearing.echo.toeplitz import least_squares_filter

Taps = npt.NDArray[np.float64]

SOLVE_GAIN = 2.0  # a least-squares solution replaces the filter when its residual is 3 dB lower
SOLVE_FIT_DB = 10.0  # ... and it explains the microphone this well (no child in the span)
# The filter adapts while a solution explains over half the microphone's power: with no echo, the
# 2048 taps fit 0.1-2.2 dB of a second of noise or of a voice (7 voices talking throughout); with
# an echo, 20 dB and more, and a few dB while a child talks over it (adaptation pauses then too).
EXPLAINED_DB = 3.0
ADDS_DB = 3.0  # ... and it is dropped when, explaining nothing, its residual is this much louder


@dataclass(frozen=True)
class Fit:
    taps: Taps  # the least-squares filter
    mic: float  # the microphone's power where both filters see their whole reference ...
    solved: float  # ... the residual power the solution leaves there ...
    current: float  # ... and the one the current filter leaves

    @property
    def db(self) -> float:
        return 10 * float(np.log10(self.mic / max(self.solved, 1e-20)))

    @property
    def explains(self) -> bool:
        """The reference explains most of what the microphone heard: there is an echo."""
        return self.db >= EXPLAINED_DB

    @property
    def replaces(self) -> bool:
        """The solution beats the current filter, and no child was in the span."""
        return self.solved * SOLVE_GAIN <= self.current and self.db >= SOLVE_FIT_DB

    @property
    def only_adds(self) -> bool:
        """No echo is heard, and the current filter predicts one (it was learnt while there was
        one): its residual is louder than the microphone. Over a second, and only when the
        reference explains nothing: while a filter converges, its residual can be louder than
        the microphone for a few blocks (resetting on that broke convergence at -6 dB), but
        the solution then explains 20 dB."""
        return not self.explains and self.current > 10 ** (ADDS_DB / 10) * self.mic


def judge(mic: npt.NDArray[np.float64], ref: npt.NDArray[np.float64], current: Taps) -> Fit:
    """The least-squares filter predicting ``mic`` from the aligned ``ref``, next to ``current``."""
    solved, solved_res, current_res = least_squares_filter(mic, ref, current)
    return Fit(solved, float(np.mean(np.square(mic[current.size :]))), solved_res, current_res)
