"""The utterance's tail (the silence kept after the speech energy ends) against accuracy and the
speculative decode's start.

The endpointer keeps ``tail_ms`` (150) of audio after its estimate of where the speech energy
stops, so soft endings ("...Americans") are not cut. The speculative decode at a pause must read
exactly the audio the turn will keep, so the pause cannot come before that tail has been heard:
``vad.pause_ms`` below tail + one VAD window (182 ms) changes nothing. A shorter tail would start
the decode, and so the reply, earlier, at the cost of any word ending it cuts.

Each clip (with 0.5 s of seeded -60 dBFS noise before and 1.25 s after) runs through the real
endpointer (Silero VAD, the daemon's timings) with the speculative decode's verdicts handed back
after the decode's measured time (semantic end-of-turn on, as in the daemon); every closed
utterance is transcribed by the daemon's default Transcriber. Printed per set and tail: WER over
the clips (openai-whisper's normaliser when installed), where the last pause event came relative
to the true end (the last 5 ms window above -45 dBFS), the end decision, and utterances per clip
(over 1: a clip was split, a false cut-off on a one-sentence clip). Sets as in benchmarks/stt.py:
``tuning`` (the project's own clips), ``unseen-us-gb``, ``real``, ``child-like`` (never tuned on).

    .venv/bin/python benchmarks/utterance_tail.py [--tails 150,90,60] [--sets real,child-like] [-v]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

RATE = 16_000
LEAD_S, TRAIL_S = 0.5, 1.25
FLOOR_DB, NOISE_DBFS = -45.0, -60.0


def main() -> None:
    import stt as stt_bench

    from daemon.config import TeddyConfig
    from daemon.hearing.endpointing import Endpointer, SpeechPaused
    from daemon.hearing.vad import load_vad
    from processors.audio.samples import BadAudio
    from processors.stt.audio_file import read_audio_file
    from processors.stt.errors import UtteranceRejected
    from processors.stt.stage import Transcriber
    from tests.daemon.hearing.speech import voiced_bounds
    from tests.daemon.hearing.turn_sim import simulate
    from tests.processors.stt.textnorm import normalised_wer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tails", default="150,90,60", help="tail_ms values, comma-separated")
    parser.add_argument("--sets", default="tuning,unseen-us-gb,real,child-like")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each transcript")
    args = parser.parse_args()
    tails = [int(t) for t in args.tails.split(",")]
    vad = TeddyConfig().vad
    stage = Transcriber.from_config(TeddyConfig().stt.model_dump(), speculative=False)
    stage.load_sync()
    decoded: dict[bytes, tuple[str, float]] = {}

    def transcribe(audio: np.ndarray) -> tuple[str, float]:
        key = audio.tobytes()
        if key not in decoded:
            started = time.perf_counter()
            try:
                text = stage.transcribe_array(audio).text
            except (BadAudio, UtteranceRejected):
                text = ""
            decoded[key] = (text, time.perf_counter() - started)
        return decoded[key]

    with tempfile.TemporaryDirectory(prefix="teddy-tail-") as tmp:
        sets = stt_bench.prepare(Path(tmp))
        for name in args.sets.split(","):
            rng = np.random.default_rng(7)  # the same noise for every tail
            rows: dict[int, list[tuple[str, str, float, float, int]]] = {t: [] for t in tails}
            for clip in sets[name]:
                audio = read_audio_file(Path(clip["path"]))
                noise = rng.standard_normal(round((LEAD_S + TRAIL_S) * RATE)) * 10 ** (
                    NOISE_DBFS / 20
                )
                lead = round(LEAD_S * RATE)
                x = np.concatenate([noise[:lead], audio, noise[lead:]]).astype(np.float32)
                end = LEAD_S + voiced_bounds(audio, FLOOR_DB)[1]
                for tail in tails:
                    ep = Endpointer(
                        load_vad("silero"),
                        silence_ms=vad.silence_ms,
                        pause_ms=1,  # as early as the tail allows: tail + one window
                        tail_ms=tail,
                        early_silence_ms=vad.early_silence_ms,
                        unfinished_silence_ms=vad.unfinished_silence_ms,
                    )
                    run = simulate(ep, x, transcribe, delay=True, t0=0.0)
                    said = " ".join(transcribe(e.audio)[0] for e in run.ended)
                    pauses = [e.t - end for e in run.events if isinstance(e, SpeechPaused)]
                    ends = [e.t - end for e in run.ended]
                    rows[tail].append(
                        (
                            clip["text"],
                            said,
                            pauses[-1] if pauses else float("nan"),
                            ends[-1] if ends else float("nan"),
                            len(run.ended),
                        )
                    )
            for tail in tails:
                r = rows[tail]
                split = sum(1 for row in r if row[4] > 1)
                error = normalised_wer((ref, hyp) for ref, hyp, *_ in r)
                print(
                    f"{name:<13} tail {tail:>3} ms: WER {error:.3f}"
                    f"  pause p50 {np.nanmedian([row[2] for row in r]):+.3f} s and end decided "
                    f"p50 {np.nanmedian([row[3] for row in r]):.3f} s after the true end; "
                    f"{split} of {len(r)} clips split",
                    flush=True,
                )
                if args.verbose:
                    for ref, hyp, *_ in r:
                        print(f"    {ref!r} -> {hyp!r}")


if __name__ == "__main__":
    main()
