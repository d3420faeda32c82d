"""Capture's PortAudio re-initialisation never pulls the rug from under the bear's voice."""

from __future__ import annotations

import threading

from processors.audio import portaudio_guard


def test_runs_at_once_when_no_stream_is_open() -> None:
    ran: list[int] = []
    assert portaudio_guard.when_idle(lambda: ran.append(1), timeout_s=0.0)
    assert ran == [1]


def test_skips_while_a_playback_stream_is_open() -> None:
    portaudio_guard.stream_opening()
    try:
        ran: list[int] = []
        assert not portaudio_guard.when_idle(lambda: ran.append(1), timeout_s=0.01)
        assert ran == []
    finally:
        portaudio_guard.stream_closed()
    assert portaudio_guard.open_streams() == 0


def test_waits_for_the_stream_to_close() -> None:
    portaudio_guard.stream_opening()
    started = threading.Event()
    result: list[bool] = []

    def reinit() -> None:
        started.set()
        result.append(portaudio_guard.when_idle(lambda: None, timeout_s=5.0))

    worker = threading.Thread(target=reinit)
    worker.start()
    started.wait(5)
    portaudio_guard.stream_closed()
    worker.join(5)
    assert result == [True]
