"""Echo cancellation for barge-in: remove the bear's own voice from what the microphone hears.

``reference.PlaybackReference`` keeps the exact samples handed to the output device on the
monotonic clock; ``delay`` estimates how late they come back into the microphone;
``canceller.EchoCanceller`` subtracts their echo with a partitioned-block frequency-domain
adaptive filter and measures ERLE (``stats.EchoStats``); ``toeplitz`` solves the filter by
least squares, ``guard`` judges by it whether the reference explains the microphone at all, and
``taps`` turns and moves its two forms.
"""

from daemon.hearing.echo.canceller import EchoCanceller
from daemon.hearing.echo.reference import PlaybackReference
from daemon.hearing.echo.stats import EchoStats

__all__ = ["EchoCanceller", "EchoStats", "PlaybackReference"]
