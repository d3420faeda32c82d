"""Where the speech energy of an utterance really ends, to 4 ms: the VAD lags it by a window or
two, so the endpointer times the closing silence from here instead (it adds little beyond
``silence_ms``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from daemon.hearing.frames import SAMPLE_RATE

Float32Array = npt.NDArray[np.float32]

SUB_BLOCK = 64  # 4 ms: resolution of the end-of-speech estimate
REFINE_WINDOWS = 4  # how far back the VAD may lag behind the end of speech energy
TAIL_RATIO = 10 ** (-40 / 10)  # speech energy ends 40 dB below the utterance's loudest part
ABS_FLOOR_POWER = 10 ** (-60 / 10)  # and never counts below -60 dBFS


def sub_power(window: Float32Array) -> Float32Array:
    """Mean power of each 4 ms sub-block."""
    n = window.size - window.size % SUB_BLOCK
    blocks = window[:n].reshape(-1, SUB_BLOCK)
    return np.asarray(np.einsum("ij,ij->i", blocks, blocks) / SUB_BLOCK, dtype=np.float32)


def speech_energy_end(
    windows: Sequence[Float32Array], end: float, peak_power: float, last_voiced_end: float
) -> float:
    """The end of speech energy within the last ``REFINE_WINDOWS`` of ``windows`` (which end at
    ``end``): the last 4 ms at most 40 dB under the utterance's ``peak_power``, never later than
    the last voiced window's end."""
    recent = windows[-REFINE_WINDOWS:]
    powers = np.concatenate([sub_power(w) for w in recent])
    loud = np.flatnonzero(powers >= max(peak_power * TAIL_RATIO, ABS_FLOOR_POWER))
    span_start = end - sum(w.size for w in recent) / SAMPLE_RATE
    if loud.size == 0:
        return span_start
    refined = span_start + (int(loud[-1]) + 1) * SUB_BLOCK / SAMPLE_RATE
    return min(refined, last_voiced_end)
