"""Acoustic echo cancellation: a partitioned-block frequency-domain adaptive filter (PBFDAF).

Each 16 ms microphone block is matched with the reference (what the bear played) from
``delay`` earlier, where the delay is the GCC-PHAT estimate of ``delay.py``; the filter then
models the remaining ``partitions`` x 16 ms of the room (the loudspeaker, reflections, the
reverberant tail) and subtracts its prediction of the echo. Per-bin power normalisation makes it
converge within a second of speech once it is close, but a new room (the first reply after the
daemon starts) or a moved echo path would take it many seconds; so while the ERLE is below
``LEARNT_DB`` the filter is also solved directly, by least squares over the last second, at each
delay estimate, and the solution replaces the adapted filter when it explains the microphone
clearly better; the filter adapts only while one shows that the reference explains most of it,
and no block leaves louder than it came (``guard.py``). Adaptation stops while the residual is
much louder than the predicted echo (double talk: the child speaks over the bear), so the child's
voice does not teach the filter to cancel the child; that is heard late for a soft start, so a
confirmed barge-in also sends the filter back to before the child began (``forget_since``).

:meth:`EchoCanceller.echo_level` says how loud the bear's leftover echo is expected to be at a
given time (the reference's recent power x the learnt echo path gain / the ERLE): a voice must be
clearly louder than that to count as the child (``daemon/hearing/bargein.py``).

``EchoStats`` carries the echo return loss enhancement (ERLE, microphone power over residual
power while only the bear is heard): the health check and the benchmark read it.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from daemon.hearing.echo.delay import coherence, estimate_delay
from daemon.hearing.echo.guard import judge
from daemon.hearing.echo.reference import PlaybackReference
from daemon.hearing.echo.stats import EchoStats, remember
from daemon.hearing.echo.taps import shifted, to_taps, to_weights
from daemon.hearing.frames import SAMPLE_RATE, AudioFrame

Float32Array = npt.NDArray[np.float32]
Complex = npt.NDArray[np.complex128]

BLOCK = 256  # 16 ms hop
PRE_DELAY = 64  # the filter starts 4 ms before the estimated delay (the direct path's spread)
REF_ACTIVE = 1e-7  # mean power of a reference block that counts as the bear speaking
ESTIMATE_EVERY_S = 0.5
ESTIMATE_SPAN_S = 1.5
DOUBLE_TALK = 4.0  # residual 6 dB over the predicted echo: someone else is talking
LOOK_BACK_S = 0.3
WARMUP_BLOCKS = 190  # ~3 s of the bear's voice: the whole-run ERLE counts from then on
START_BLOCKS = 31  # the first 0.5 s of the bear's voice in a run: its ERLE is how ready we were
START_DROP_DB = 10.0  # ... and taken for the ERLE when it is this much below what was believed
PAUSE_BLOCKS = 62  # the bear's voice after 1 s of silence starts anew (a reply on the kept line)
RAW_ECHO = 4.0  # a microphone block up to 6 dB over the echo the filter predicts: no child in it
ENVELOPE_BLOCKS = 8  # 128 ms of residual vs predicted echo loudness ...
ECHO_LIKE = 0.6  # ... correlated this well: the residual is the bear's echo, not a new voice
COPY_BLOCKS = 3  # ... and its last 48 ms a copy of the predicted echo's, moved at most ...
COPY_LAG = 256  # ... 16 ms (the rig's loopback slips 4-9 ms) ...
COPIES = 0.3  # ... this well (rig: the bear's residual p50 0.51; a child's first blocks 0.08-0.24)
LEARNT_DB = 15.0  # the room counts as learnt once the ERLE has reached this
MOVED = 32  # a new run's delay this many samples (2 ms) off the last one: the timing moved
SOLVE_SPAN = round(1.0 * SAMPLE_RATE)  # solved over the last second: after a slip, mostly new
SNAPSHOT_BLOCKS = 16  # the filter is kept every 256 ms, the last five (1.3 s): see forget_since


class EchoCanceller:
    """Feed microphone frames with :meth:`process`; get them back with the bear's echo removed."""

    def __init__(
        self,
        reference: PlaybackReference,
        *,
        partitions: int = 8,
        step: float = 0.5,
        max_delay_ms: float = 400.0,
    ) -> None:
        self.reference = reference
        self.partitions = partitions
        self.step = step
        self.max_delay = round(max_delay_ms / 1000 * SAMPLE_RATE)
        self.stats = EchoStats()
        bins = BLOCK + 1
        self._weights: Complex = np.zeros((partitions, bins), dtype=np.complex128)
        self._snapshots: deque[tuple[int, Complex]] = deque(maxlen=5)  # (stamp, weights)
        self._spectra: Complex = np.zeros((partitions, bins), dtype=np.complex128)
        self._power = np.full(bins, 1e-6)
        self._prev_ref = np.zeros(BLOCK, dtype=np.float32)
        self._offset = 0  # the filter's start: bulk delay - PRE_DELAY, in samples
        self._pending = np.zeros(0, dtype=np.float32)
        self._next: int | None = None  # absolute sample number of _pending[0], counted
        self._stamp_offset = 0  # the frames' stamps minus the count, in samples
        span = round(ESTIMATE_SPAN_S * SAMPLE_RATE) + self.max_delay
        self._mic_history: deque[Float32Array] = deque(maxlen=span // BLOCK + 1)
        self._since_estimate = 0
        self._erle_mic = 0.0  # smoothed powers for the running ERLE
        self._erle_res = 0.0
        self._double_talk_run = 0
        # this run's delay estimates (offsets): none yet, its alignment is not known
        self._candidates: deque[int] = deque(maxlen=3)
        self._runs = 0  # the reference's playback runs seen
        self._run_blocks = 0  # echo blocks in this run (its ERLE is known after a few)
        self._run_samples = 0  # microphone samples since this run began
        self._anchored_by_reference = True  # the run began at a re-anchor (not a capture gap)
        self._silent_blocks = 0  # blocks in a row with a silent reference
        self.path_gain = 1.0  # microphone echo power / reference power (0 dB until learnt)
        # (the block's stamp in samples, its expected residual echo): looked up by stamp
        self._levels: deque[tuple[int, float]] = deque(maxlen=96)
        self._envelope: deque[tuple[float, float]] = deque(maxlen=ENVELOPE_BLOCKS)
        self._last_blocks: deque[tuple[Float32Array, npt.NDArray[np.float64]]] = deque(
            maxlen=COPY_BLOCKS
        )
        self._learnt = False  # the ERLE once reached LEARNT_DB: a slip can be told from a voice
        self._start_mic = self._start_res = 0.0  # this run's first 0.5 s of echo ...
        self._start_blocks = 0  # ... in so many blocks, double talk or not
        self._explained = False  # the last solution explained the microphone: it may adapt

    # -- streaming -------------------------------------------------------------------------
    def process(self, frame: AudioFrame) -> AudioFrame:
        """The frame with the echo removed (delayed by at most one 16 ms block)."""
        start = round(frame.t * SAMPLE_RATE)
        samples = np.asarray(frame.samples, dtype=np.float32).reshape(-1)
        # The microphone's samples are matched with the reference by their count, on the
        # devices' clock; the frames' stamps follow the monotonic clock, which drifts from it
        # (~0.3 ms a second on the rig) and is re-anchored now and then. Only a jump a drift
        # cannot explain (capture restarted) moves the count, by the jump alone; after samples
        # the device dropped (``lost``) it is off by an unknown amount: both re-measure the delay.
        jump = 0 if self._next is None else start - self._next - self._pending.size
        jump -= self._stamp_offset  # what the stamps moved by since the last frame
        if self._next is None or abs(jump) > SAMPLE_RATE // 4 or frame.lost:
            self._next = start - self._stamp_offset  # clock gap
            self._pending = np.zeros(0, dtype=np.float32)
            self._prev_ref = np.zeros(BLOCK, dtype=np.float32)
            self._mic_history.clear()
            self._realign(by_reference=False)  # the gap is as long as its stamps say, or so
        else:
            self._stamp_offset += jump
        out_t = (self._next + self._stamp_offset) / SAMPLE_RATE  # the stamp of _pending[0]
        self._pending = np.concatenate([self._pending, samples])
        out: list[Float32Array] = []
        while self._pending.size >= BLOCK:
            block, self._pending = self._pending[:BLOCK], self._pending[BLOCK:]
            out.append(self._block(block, self._next))
            self._next += BLOCK
        cleaned = np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
        return AudioFrame(out_t, cleaned)

    def forget_since(self, t: float) -> None:
        """Another voice was in the microphone from ``t`` on (the child barged in): the filter
        goes back to before it. Adaptation stops only once the residual is clearly louder than
        the echo, late for a voice that starts softly ("Stop"): what it learnt from that voice
        would cancel the next reply's start badly (offline: 17-20 dB instead of ~25)."""
        kept = [weights for stamp, weights in self._snapshots if stamp <= t * SAMPLE_RATE]
        if kept:
            self._weights = kept[-1].copy()

    def _block(self, mic: Float32Array, at: int) -> Float32Array:
        if self.reference.runs != self._runs:
            self._new_run()
        if at // BLOCK % SNAPSHOT_BLOCKS == 0:
            self._snapshots.append((at + self._stamp_offset, self._weights.copy()))
        self._mic_history.append(mic)
        self._since_estimate += BLOCK
        self._run_samples += BLOCK
        if self._since_estimate >= ESTIMATE_EVERY_S * SAMPLE_RATE:
            self._since_estimate = 0
            self._update_delay(at + BLOCK)
            if self.stats.delay_ms is not None and (self.stats.erle_db or 0.0) < LEARNT_DB:
                self._solve(at + BLOCK)  # a new room, or one whose echo path moved
        ref = self.reference.read_at(at - self._offset, BLOCK)
        spectrum = np.fft.rfft(np.concatenate([self._prev_ref, ref]))
        self._prev_ref = ref
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = spectrum
        ref_power = float(np.mean(np.square(ref)))
        if ref_power <= REF_ACTIVE:
            self._silent_blocks += 1
        active = ref_power > REF_ACTIVE or self._recent_ref()
        span_power = float(np.mean(self._power)) / BLOCK  # recent reference power per sample
        if not active:
            self._levels.append((at + self._stamp_offset, 0.0))
            return mic
        echo = np.fft.irfft(np.sum(self._weights * self._spectra, axis=0))[BLOCK:]
        residual = (mic - echo).astype(np.float32)
        mic_pow = float(np.mean(np.square(mic)))
        res_pow = float(np.mean(np.square(residual)))
        echo_pow = float(np.mean(np.square(echo)))
        double_talk = self._double_talk(res_pow, echo_pow)
        if ref_power > REF_ACTIVE:
            if self._silent_blocks >= PAUSE_BLOCKS:
                self._count_from_start()  # a reply starts: how ready are we for it?
            self._silent_blocks = 0
            self.stats.echo_blocks += 1
            self._measure_start(mic_pow, res_pow)
            self._power = 0.9 * self._power + 0.1 * np.abs(spectrum) ** 2
            if double_talk:
                self.stats.double_talk_blocks += 1
            else:
                if self._explained:
                    self._adapt(residual)
                self._track_erle(mic_pow, res_pow)
                if span_power > REF_ACTIVE:
                    self.path_gain = 0.95 * self.path_gain + 0.05 * mic_pow / span_power
        # A run is anchored by a stamp, a few ms off at worst, and a few ms undo the filter:
        # until its delay is measured, expect the echo the filter may not be removing; in the
        # first 0.5 s of a reply, only as much cancelled as it is measured to be there.
        erle = 10 ** ((self.stats.erle_db or 0.0) / 10) if self._candidates else 1.0
        if 0 < self._start_blocks < START_BLOCKS:
            erle = min(erle, self._start_mic / max(self._start_res, 1e-12))
        level = self.path_gain * span_power / max(1.0, erle)
        self._envelope.append((res_pow, echo_pow))
        self._last_blocks.append((residual, echo))
        if (
            self._learnt
            and res_pow > level
            and mic_pow < RAW_ECHO * echo_pow
            and self._echo_like()
            and self._copies_echo()
        ):
            # The filter is not removing the echo (its path moved: the bear was picked up, the
            # rig's loopback slipped 7 ms): the microphone is no louder than the echo alone and
            # the residual follows the bear's words, so it is the bear's until the filter has
            # caught up. A child's voice has an envelope and a waveform of its own: its soft
            # "St" over a loud bear passed the envelope test by chance, and one such block
            # raised the level the child must beat for 0.3 s (the rig's slow stops, 0.28-0.31
            # s). Only once the room was learnt: a half-formed prediction would pass a child's
            # voice for the bear's.
            level = res_pow
            self.stats.uncancelled_blocks += 1
        self._levels.append((at + self._stamp_offset, level))
        if res_pow > mic_pow:  # the filter added more than it removed: the microphone goes on
            self.stats.passed_blocks += 1
            return mic
        return residual

    def _echo_like(self) -> bool:
        """The residual's loudness follows the predicted echo's over the last blocks."""
        if len(self._envelope) < ENVELOPE_BLOCKS:
            return False
        res, echo = np.log10(np.asarray(self._envelope) + 1e-12).T
        if float(np.std(res)) < 1e-3 or float(np.std(echo)) < 1e-3:
            return False
        return float(np.corrcoef(res, echo)[0, 1]) > ECHO_LIKE

    def _copies_echo(self) -> bool:
        """The residual's last blocks are the predicted echo's, slightly moved (a slip)."""
        residual, echo = (np.concatenate(part) for part in zip(*self._last_blocks, strict=True))
        return coherence(residual, echo, COPY_LAG) >= COPIES

    def echo_level(self, t: float, duration: float) -> float:
        """The loudest residual echo power expected in ``[t - LOOK_BACK_S, t + duration)``: the
        look-back covers an echo that comes back later than its delay estimate says (a new
        output stream starts at its own latency) and the room's ringing after a word."""
        lo = round((t - LOOK_BACK_S) * SAMPLE_RATE) - BLOCK
        hi = round((t + duration) * SAMPLE_RATE)
        return max((level for at, level in self._levels if lo <= at < hi), default=0.0)

    def _recent_ref(self) -> bool:
        # the room keeps ringing for the filter's span after the bear's last sample
        return bool(np.any(np.abs(self._spectra) > 0))

    def _double_talk(self, res_pow: float, echo_pow: float) -> bool:
        converged = self.stats.erle_db is not None and self.stats.erle_db >= 6.0
        suspect = converged and res_pow > DOUBLE_TALK * echo_pow + 1e-9
        self._double_talk_run = self._double_talk_run + 1 if suspect else 0
        if self._double_talk_run > 1.5 * SAMPLE_RATE / BLOCK:
            # residual stays loud for long: the room changed rather than someone talking over
            self.stats.erle_db, self._double_talk_run = None, 0
        return suspect

    def _adapt(self, residual: Float32Array) -> None:
        error = np.fft.rfft(np.concatenate([np.zeros(BLOCK, dtype=np.float32), residual]))
        norm = self.partitions * self._power + 1e-8
        gradient = np.conj(self._spectra) * error / norm
        # gradient constraint: keep the filter causal and one block long per partition
        self._weights += self.step * to_weights(to_taps(gradient), self.partitions)

    def _track_erle(self, mic_pow: float, res_pow: float) -> None:
        if self.stats.echo_blocks > WARMUP_BLOCKS:  # steady state, past the first convergence
            self.stats.mic_energy += mic_pow
            self.stats.residual_energy += res_pow
        self._erle_mic = 0.98 * self._erle_mic + 0.02 * mic_pow
        self._erle_res = 0.98 * self._erle_res + 0.02 * res_pow
        self._run_blocks += 1
        if self._erle_res > 0 and self._erle_mic > 0 and self._run_blocks > 20:
            self.stats.erle_db = 10 * float(np.log10(self._erle_mic / self._erle_res))
            self._learnt = self._learnt or self.stats.erle_db >= LEARNT_DB

    def _measure_start(self, mic_pow: float, res_pow: float) -> None:
        """The ERLE of the first 0.5 s of the bear's voice in a run or reply, double talk or not:
        a filter that cancels far less than its ERLE says (the last reply left it worse) looks
        like double talk, which would keep the old ERLE for 1.5 s; it is measured here."""
        if self._start_blocks >= START_BLOCKS:
            return
        self._start_blocks += 1
        self._start_mic, self._start_res = self._start_mic + mic_pow, self._start_res + res_pow
        if self._start_blocks == START_BLOCKS and self._start_res > 0 < self._start_mic:
            start_db = 10 * float(np.log10(self._start_mic / self._start_res))
            remember(self.stats.start_erle_db, start_db)
            if start_db < (self.stats.erle_db or 0.0) - START_DROP_DB:
                self.stats.erle_db = start_db  # and adaptation resumes (no longer "converged")
                self._erle_mic = self._start_mic / START_BLOCKS
                self._erle_res = self._start_res / START_BLOCKS

    def _new_run(self) -> None:
        """A new playback run (a new stream, an underflow): the room, so the echo path, delay
        and ERLE, carry over; but the run is laid from a stamp, so the echo level counts no ERLE
        until the run's first delay estimate (a move > 2 ms: the filter shifts, ERLE unknown)."""
        self._runs = self.reference.runs
        self._realign(by_reference=True)

    def _realign(self, by_reference: bool) -> None:
        """Matched from a new anchor: the room holds; the alignment is measured, then trusted."""
        self._anchored_by_reference = by_reference
        self._candidates.clear()
        self._count_from_start()
        self._since_estimate = self._run_samples = 0

    def _count_from_start(self) -> None:
        """The bear's voice starts (a run, or a reply after a pause): its first 0.5 s of ERLE
        is measured anew."""
        self._run_blocks = self._start_blocks = 0
        self._start_mic = self._start_res = 0.0

    def _shift(self, samples: int) -> None:
        """Move the learnt echo path ``samples`` earlier (the filter's start moved later)."""
        self._snapshots.clear()  # they were learnt at the old alignment
        self._weights = to_weights(shifted(to_taps(self._weights), samples), self.partitions)

    def _solve(self, end: int) -> None:
        """Least squares over the microphone history ending at sample ``end``: the filter taps
        that best predict it from the aligned reference (Wiener-Hopf: the reference's Toeplitz
        autocorrelation against its cross-correlation with the microphone). Taken only when it
        beats the adapted filter on the same span and fits well, so a child's voice in the span
        (which no filter can predict) never becomes the room; it says if the filter may adapt."""
        mic = np.concatenate(self._mic_history)[-SOLVE_SPAN:].astype(np.float64)
        ref = self.reference.read_at(end - mic.size - self._offset, mic.size).astype(np.float64)
        if float(np.mean(np.square(ref))) < REF_ACTIVE or not np.any(mic):
            return
        fit = judge(mic, ref, to_taps(self._weights))
        self._explained = fit.explains
        if fit.only_adds:  # its echo path is gone (a headset, a speakerphone's own canceller)
            self._weights[:] = 0.0
            self._snapshots.clear()
            self.stats.erle_db, self._erle_mic, self._erle_res = None, 0.0, 0.0
            self._run_blocks = 0
            self.stats.dropped += 1
        elif fit.replaces:
            self._weights = to_weights(fit.taps, self.partitions)
            # the running ERLE starts from what the solution achieves, not from the old filter's
            self._erle_mic, self._erle_res = fit.mic, fit.solved
            self.stats.erle_db = fit.db
            self.stats.solves += 1

    # -- bulk delay ------------------------------------------------------------------------
    def _update_delay(self, end: int) -> None:
        mic = np.concatenate(self._mic_history)
        if not self._candidates:
            # a run's first estimate hears only the run: before it, the reference was laid
            # from another anchor, and that older alignment would win the correlation
            mic = mic[-self._run_samples :]
        ref = self.reference.read_at(end - mic.size, mic.size)
        if float(np.mean(np.square(ref))) < REF_ACTIVE:
            return
        estimate = estimate_delay(mic, ref, self.max_delay)
        if not estimate.usable:
            return
        offset = max(0, estimate.samples - PRE_DELAY)
        # Reverberant rooms make the correlation peak wander between reflections: a new
        # alignment is taken only once three estimates in a row agree on it.
        first_of_run = not self._candidates
        if first_of_run:
            remember(self.stats.run_delays_ms, estimate.samples / SAMPLE_RATE * 1000)
        self._candidates.append(offset)
        agreed = len(self._candidates) == 3 and max(self._candidates) - min(self._candidates) <= 32
        if not (first_of_run or agreed):
            return
        previous = self.stats.delay_ms
        self.stats.delay_ms = estimate.samples / SAMPLE_RATE * 1000
        if previous is not None and first_of_run:
            # the same room, timed anew: move what was learnt by the change of delay
            moved = round((self.stats.delay_ms - previous) / 1000 * SAMPLE_RATE)
            if self._anchored_by_reference:
                self.reference.placed_early(moved / SAMPLE_RATE)
            if abs(moved) > MOVED:
                self._shift(-moved)  # a later echo: the learnt taps move later too
                self.stats.erle_db = None  # unsure until this run's ERLE is measured
                self._erle_mic = self._erle_res = 0.0
                self._run_blocks = 0
        covered = self._offset <= estimate.samples <= self._offset + self.partitions * BLOCK // 2
        if not covered:
            # keep the echo's start in the first half of the filter's span
            self._shift(offset - self._offset)
            self._offset = offset
            self._spectra[:] = 0.0
            self._prev_ref = np.zeros(BLOCK, dtype=np.float32)
