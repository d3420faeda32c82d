"""Semantic end-of-turn on fixed recordings: the real Silero VAD, the real tiny.en decode.

The verdict reaches the endpointer as soon as the pause's decode is done on the recording's
clock (``instant``: at the pause, the worst case for cutting a child off; ``slow``: 0.6 s
later, a slow board). Decoding is deterministic (fixed audio, beam search, CPU int8)."""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt
import pytest

from daemon.hearing.endpointing import Endpointer
from daemon.hearing.turnend import Turn
from daemon.hearing.vad import load_vad
from processors.stt.stage import Transcriber
from tests.daemon.hearing.turn_fixtures import audio
from tests.daemon.hearing.turn_sim import TurnRun, simulate

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stage() -> Transcriber:
    stage = Transcriber(backend="faster-whisper", cpu_threads=2)
    stage.load_sync()
    return stage


def run(stage: Transcriber, name: str, decode_s: float, **turn: int) -> TurnRun:
    def transcribe(samples: npt.NDArray[np.float32]) -> tuple[str, float]:
        return stage.transcribe_array(samples, "en").text, decode_s

    settings = {"early_silence_ms": 220, "unfinished_silence_ms": 700, **turn}
    ep = Endpointer(load_vad("silero"), silence_ms=400, pause_ms=180, **settings)
    return simulate(ep, audio(name), transcribe, delay=decode_s > 0)


def test_a_finished_question_ends_the_turn_early(stage: Transcriber) -> None:
    result = run(stage, "complete", 0.0)
    assert [turn for _, turn in result.verdicts] == [Turn.COMPLETE]
    (end,) = result.ended
    assert end.early and 0.2 <= end.t - end.ended_at <= 0.27
    plain = run(stage, "complete", 0.0, early_silence_ms=0).ended
    assert len(plain) == 1 and not plain[0].early and plain[0].t - plain[0].ended_at >= 0.38


def test_a_mid_sentence_pause_after_an_article_is_not_cut_off(stage: Transcriber) -> None:
    # 320 ms after "We played with the": an early end at 220 ms would cut the child off. The
    # pause's decode depends on the CPU's int8 kernels: "We played with the..." (unfinished) with
    # AVX-512, "We played with that." (unsure: the normal 400 ms wait) with AVX2 or AMX
    result = run(stage, "paused_article", 0.0)
    assert result.verdicts[0][1] in (Turn.UNFINISHED, Turn.UNSURE), result.verdicts
    (end,) = result.ended
    assert end.duration_s > 2.0  # both halves in one utterance


@pytest.mark.parametrize("decode_s", [0.0, 0.6])
def test_a_long_pause_after_and_is_held_open(stage: Transcriber, decode_s: float) -> None:
    # 550 ms after "... went to the park and": the plain 400 ms endpointer cuts here
    plain = run(stage, "paused_conjunction", decode_s, early_silence_ms=0, unfinished_silence_ms=0)
    assert len(plain.ended) == 2
    result = run(stage, "paused_conjunction", decode_s)
    assert result.verdicts[0][1] is Turn.UNFINISHED, result.verdicts
    assert len(result.ended) == 1
