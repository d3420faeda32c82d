"""Capture's frames from PortAudio callbacks, without a device: an input overflow marks the
frame after the samples the device dropped, so the echo canceller knows its count is off."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from daemon.hearing import MicrophoneSource


def _callback(source: MicrophoneSource, samples: int, overflow: bool = False) -> None:
    block = np.full((samples, 1), 0.1, dtype=np.float32)
    source._callback(block, samples, None, SimpleNamespace(input_overflow=overflow))


def test_the_frame_after_an_input_overflow_is_marked_lost() -> None:
    source = MicrophoneSource(None)
    for _ in range(3):
        _callback(source, 512)
    first = source._drain()
    _callback(source, 256, overflow=True)  # PortAudio: samples were dropped before these
    _callback(source, 256)
    _callback(source, 512, overflow=True)
    _callback(source, 300)  # not a whole frame yet: stays in the ring
    second = source._drain()
    assert [f.lost for f in first] == [False] * 3
    assert [f.lost for f in second] == [True, True]
    assert source.state.overflows == 2
    _callback(source, 212)
    assert [f.lost for f in source._drain()] == [False]  # each loss is marked once
