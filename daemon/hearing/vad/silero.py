"""Silero VAD v6, the ONNX model shipped inside the faster-whisper wheel, run by onnxruntime.

Model contract (checked on the shipped file): input ``input`` of shape (batch, 576) = 64 samples of
context (the tail of the previous window) + 512 new samples at 16 kHz; LSTM state ``h``/``c`` of
shape (1, 1, 128) carried from call to call; output ``speech_probs`` (batch,) plus ``hn``/``cn``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import numpy.typing as npt

WINDOW = 512
CONTEXT = 64
STATE_SHAPE = (1, 1, 128)
# Windows quieter than this (RMS, dBFS) are silence without running the network: listening to a
# quiet room is most of the bear's life, and speech is 30-40 dB louder than this.
SILENCE_DBFS = -60.0
QUIET_RESET = 8  # after this many quiet windows in a row, start the network from a clean state


class SileroUnavailable(RuntimeError):
    """onnxruntime or the model file is missing."""


def model_path() -> Path:
    # Found, not imported: importing faster-whisper loads PyAV and CTranslate2, which the VAD
    # does not need.
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        raise SileroUnavailable("faster-whisper is not installed (it ships the model)")
    path = Path(spec.origin).parent / "assets" / "silero_vad_v6.onnx"
    if not path.is_file():
        raise SileroUnavailable(f"model file missing: {path}")
    return path


class SileroVad:
    """Streaming Silero VAD: one 512-sample (32 ms) window per call."""

    name = "silero"
    window = WINDOW

    def __init__(self, path: Path | None = None) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise SileroUnavailable("onnxruntime is not installed") from exc
        opts = onnxruntime.SessionOptions()
        # One thread: a 32 ms window costs well under a millisecond; more threads only spin.
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.enable_cpu_mem_arena = False
        opts.log_severity_level = 4
        try:
            self._session = onnxruntime.InferenceSession(
                str(path or model_path()), providers=["CPUExecutionProvider"], sess_options=opts
            )
        except SileroUnavailable:
            raise
        except Exception as exc:
            raise SileroUnavailable(f"cannot load the Silero model: {exc}") from exc
        self._input = np.zeros((1, CONTEXT + WINDOW), dtype=np.float32)
        self._quiet_power = float(10 ** (SILENCE_DBFS / 10))
        self._quiet_run = 0
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros(STATE_SHAPE, dtype=np.float32)
        self._c = np.zeros(STATE_SHAPE, dtype=np.float32)
        self._input[:] = 0.0
        self._quiet_run = 0

    def __call__(self, window: npt.NDArray[np.float32]) -> float:
        if window.shape != (WINDOW,):
            raise ValueError(f"Silero VAD needs {WINDOW} samples per call, got {window.shape}")
        # The new window goes after the previous window's last 64 samples (the model's context).
        self._input[0, :CONTEXT] = self._input[0, -CONTEXT:]
        self._input[0, CONTEXT:] = window
        if float(np.dot(window, window)) < self._quiet_power * WINDOW:
            self._quiet_run += 1
            if self._quiet_run == QUIET_RESET:
                self._h.fill(0.0)
                self._c.fill(0.0)
            return 0.0
        self._quiet_run = 0
        prob, self._h, self._c = self._session.run(
            None, {"input": self._input, "h": self._h, "c": self._c}
        )
        return float(np.asarray(prob).reshape(-1)[0])
