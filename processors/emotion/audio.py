"""Acoustic cues of an utterance (numpy) and arousal relative to the speaker's own baseline.

Audio gives cues, not labels: energy, pitch (YIN) mean and variability, speaking rate and pauses.
A child with a high voice is not an excited child, so arousal compares each cue with a running
per-speaker (per-device) baseline: the first utterance of a speaker sets the baseline (arousal 0.5),
later ones move it slowly, and only departures from it move arousal.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from processors.audio.samples import TARGET_RATE

FloatArray = npt.NDArray[np.float64]

HOP: Final = 160  # 10 ms at 16 kHz
WINDOW: Final = 400  # 25 ms analysis window
F0_MIN: Final = 70.0  # Hz; children go far higher, adults' creaky voice not lower
F0_MAX: Final = 800.0
YIN_THRESHOLD: Final = 0.15
VOICED_MAX_CMND: Final = 0.35
MIN_PAUSE_S: Final = 0.15

#: cue name -> (arousal weight, smallest spread used for its z-score)
AROUSAL_CUES: Final[dict[str, tuple[float, float]]] = {
    "energy_db": (0.8, 3.0),
    "pitch_mean_st": (0.6, 1.5),
    "pitch_std_st": (0.5, 0.8),
    "speaking_rate": (0.4, 0.6),
}


@dataclass(frozen=True)
class AcousticCues:
    duration_s: float
    speech_s: float
    energy_db: float  # mean RMS level of speech frames, dBFS
    pitch_hz: float | None  # median F0 of voiced frames
    pitch_mean_st: float | None  # mean F0 in semitones re 100 Hz
    pitch_std_st: float | None  # F0 variability in semitones
    voiced_fraction: float  # voiced frames / speech frames
    speaking_rate: float  # syllable nuclei per second of speech
    pause_count: int
    pause_fraction: float  # pause time / time from first to last speech frame

    @property
    def has_speech(self) -> bool:
        return self.speech_s > 0.0 and self.pitch_mean_st is not None

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _frames(audio: FloatArray, length: int) -> FloatArray:
    count = 1 + max(0, (audio.size - length) // HOP)
    padded = np.pad(audio, (0, max(0, length - audio.size)))
    view = np.lib.stride_tricks.sliding_window_view(padded, length)[::HOP]
    return np.asarray(view[:count])


def frame_energy_db(audio: FloatArray) -> FloatArray:
    frames = _frames(audio, WINDOW)
    rms = np.sqrt(np.mean(frames**2, axis=1) + 1e-12)
    return np.asarray(20.0 * np.log10(rms))


def speech_mask(energy_db: FloatArray) -> npt.NDArray[np.bool_]:
    """Frames well above the noise floor (and not lost 40 dB under the loudest frame)."""
    floor = float(np.percentile(energy_db, 10))
    peak = float(energy_db.max())
    # min(): a clip with no quiet part at all (trimmed tightly) is all speech, not all noise.
    threshold = max(min(floor + 10.0, peak - 10.0), peak - 40.0, -60.0)
    return np.asarray(energy_db > threshold)


def yin_pitch(
    audio: FloatArray, sample_rate: int = TARGET_RATE, frames: npt.NDArray[np.intp] | None = None
) -> FloatArray:
    """F0 (Hz, 0 = unvoiced) of the given 10 ms frame indices (all frames by default), by YIN.

    Vectorized over frames: the lagged products come from one batched FFT (float32 is plenty
    for pitch and halves the cost), the lagged energies from a cumulative sum. numpy's FFT, not
    scipy's: scipy.fft held ~27 MiB at ready for ~1 ms per utterance (issue 11).
    """
    fft = np.fft
    tau_min = int(sample_rate / F0_MAX)
    tau_max = int(sample_rate / F0_MIN)
    n = WINDOW + tau_max
    # Pad so that frame i here starts where energy frame i starts, for every i.
    block = _frames(np.pad(audio, (0, tau_max)), n).astype(np.float32)
    if frames is not None:
        block = block[frames]
    if block.shape[0] == 0:
        return np.zeros(0)
    size = 1 << (n - 1).bit_length()
    spec_all = fft.rfft(block, size, axis=1)
    spec_head = fft.rfft(block[:, :WINDOW], size, axis=1)
    cross = fft.irfft(np.conj(spec_head) * spec_all, size, axis=1)[:, : tau_max + 1]
    zeros = np.zeros((block.shape[0], 1), dtype=np.float32)
    cumsq = np.concatenate([zeros, np.cumsum(block**2, axis=1)], axis=1)
    taus = np.arange(tau_max + 1)
    energy_lag = cumsq[:, taus + WINDOW] - cumsq[:, taus]
    diff = np.maximum(energy_lag[:, :1] + energy_lag - 2.0 * cross, 0.0)
    running = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(running, 1e-12)
    search = cmnd[:, tau_min:tau_max]
    # First local minimum under the threshold, else the global minimum (judged below).
    dips = (search[:, :-1] < YIN_THRESHOLD) & (search[:, :-1] <= search[:, 1:])
    first = np.where(dips.any(axis=1), dips.argmax(axis=1), search.argmin(axis=1))
    rows = np.arange(search.shape[0])
    depth = search[rows, first]
    lag = first + tau_min
    # Parabolic interpolation around the chosen lag for sub-sample precision.
    left = cmnd[rows, np.maximum(lag - 1, 0)]
    mid = cmnd[rows, lag]
    right = cmnd[rows, np.minimum(lag + 1, tau_max)]
    denom = left - 2.0 * mid + right
    safe = np.where(np.abs(denom) > 1e-9, denom, 1.0)
    shift = np.where(np.abs(denom) > 1e-9, 0.5 * (left - right) / safe, 0.0)
    f0 = sample_rate / (lag + np.clip(shift, -1.0, 1.0))
    return np.asarray(np.where(depth < VOICED_MAX_CMND, f0, 0.0), dtype=np.float64)


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) of each run of True frames."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _syllable_nuclei(energy_db: FloatArray, voiced: npt.NDArray[np.bool_]) -> int:
    """Count voiced energy peaks standing >= 3 dB above the dips around them (100 ms apart).

    A small numpy peak picker: scipy.signal.find_peaks would do, but importing scipy.signal
    costs a second or two, more than everything else here together.
    """
    smooth = np.convolve(energy_db, np.ones(5) / 5.0, mode="same")
    if smooth.size < 3:
        return 0
    inner = smooth[1:-1]
    candidates = np.flatnonzero((inner > smooth[:-2]) & (inner >= smooth[2:])) + 1
    reach = 15  # frames each side in which the surrounding dips are looked for
    kept: list[int] = []
    for i in candidates[np.argsort(-smooth[candidates], kind="stable")]:
        if any(abs(i - k) < 10 for k in kept):  # tallest first, at least 100 ms apart
            continue
        left = smooth[max(0, i - reach) : i + 1].min()
        right = smooth[i : i + reach + 1].min()
        if smooth[i] - max(left, right) >= 3.0:
            kept.append(int(i))
    return sum(1 for i in kept if voiced[i])


def extract_cues(audio: npt.NDArray[np.float32], sample_rate: int = TARGET_RATE) -> AcousticCues:
    """Cues of one mono utterance (float32, -1..1); ~10 ms for 3 s at 16 kHz."""
    x = np.asarray(audio, dtype=np.float64)
    duration = x.size / sample_rate
    energy = frame_energy_db(x)
    speech = speech_mask(energy)
    # Pitch only where there is speech, every other frame (20 ms): the cues are utterance
    # statistics, so this halves the cost without moving them.
    pitched = np.flatnonzero(speech)[::2]
    f0 = np.zeros(energy.size)
    f0[pitched] = yin_pitch(x, sample_rate, pitched)
    voiced = speech & (f0 > 0)
    speech_s = float(np.count_nonzero(speech)) * HOP / sample_rate
    if not voiced.any():
        return AcousticCues(
            duration, speech_s, float(energy.max()), None, None, None, 0.0, 0.0, 0, 0.0
        )
    semitones = 12.0 * np.log2(f0[voiced] / 100.0)
    # Drop octave jumps: keep frames within an octave of the median.
    median = float(np.median(semitones))
    semitones = semitones[np.abs(semitones - median) <= 12.0]
    runs = _runs(speech)
    span = (runs[-1][1] - runs[0][0]) * HOP / sample_rate
    gaps = [(b[0] - a[1]) * HOP / sample_rate for a, b in itertools.pairwise(runs)]
    pauses = [g for g in gaps if g >= MIN_PAUSE_S]
    return AcousticCues(
        duration_s=duration,
        speech_s=speech_s,
        energy_db=float(np.mean(energy[speech])),
        pitch_hz=float(100.0 * 2.0 ** (median / 12.0)),
        pitch_mean_st=float(np.mean(semitones)),
        pitch_std_st=float(np.std(semitones)),
        voiced_fraction=int(np.count_nonzero(voiced)) / max(1, pitched.size),
        speaking_rate=_syllable_nuclei(energy, voiced | np.roll(voiced, 1)) / max(speech_s, 1e-3),
        pause_count=len(pauses),
        pause_fraction=float(sum(pauses) / span) if span > 0 else 0.0,
    )


@dataclass
class _Running:
    """Mean and variance of one cue: exact for the first utterances, then slowly forgetting."""

    n: int = 0
    mean: float = 0.0
    var: float = 0.0

    def update(self, value: float, horizon: int) -> None:
        self.n += 1
        alpha = 1.0 / min(self.n, horizon)
        delta = value - self.mean
        self.mean += alpha * delta
        self.var = (1.0 - alpha) * (self.var + alpha * delta * delta)


class SpeakerBaselines:
    """Running per-speaker cue baselines; thread-safe, bounded (least recently heard dropped)."""

    def __init__(self, horizon: int = 20, max_speakers: int = 64) -> None:
        self.horizon = horizon
        self.max_speakers = max_speakers
        self._speakers: OrderedDict[str, dict[str, _Running]] = OrderedDict()
        self._lock = threading.Lock()

    def count(self, speaker_id: str) -> int:
        with self._lock:
            stats = self._speakers.get(speaker_id)
            return stats["energy_db"].n if stats else 0

    def score(
        self, speaker_id: str, cues: AcousticCues, update: bool = True
    ) -> tuple[float, dict[str, float]]:
        """Arousal 0..1 of these cues against the speaker's baseline (then fold them into it)."""
        if not cues.has_speech:
            return 0.0, {}
        values = {name: getattr(cues, name) for name in AROUSAL_CUES}
        with self._lock:
            stats = self._speakers.get(speaker_id)
            if stats is None:
                stats = {name: _Running() for name in AROUSAL_CUES}
                self._speakers[speaker_id] = stats
                while len(self._speakers) > self.max_speakers:
                    self._speakers.popitem(last=False)
            self._speakers.move_to_end(speaker_id)
            z: dict[str, float] = {}
            logit = 0.0
            for name, (weight, floor) in AROUSAL_CUES.items():
                run = stats[name]
                if run.n == 0:
                    z[name] = 0.0
                    continue
                spread = max(math.sqrt(run.var), floor)
                z[name] = max(-3.0, min(3.0, (values[name] - run.mean) / spread))
                logit += weight * z[name]
            if update:
                for name, run in stats.items():
                    run.update(float(values[name]), self.horizon)
        return 1.0 / (1.0 + math.exp(-logit)), z
