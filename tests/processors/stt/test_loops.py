"""Repetition loops of any length: rejected or re-decoded, judged on real short commands."""

from __future__ import annotations

import numpy as np
import pytest

from processors.stt.backends import FasterWhisperBackend
from processors.stt.errors import UtteranceRejected
from processors.stt.guard import GuardConfig, HallucinationGuard, SpeechStats, speech_stats
from processors.stt.loops import find_loop, longest_repeat, words_of
from processors.stt.stage import Transcriber
from processors.stt.types import Transcript
from processors.stt.window import EncoderWindow
from tests.processors.stt.fakes import MiniTask, ScriptedBackend, segment
from tests.processors.stt.real import real_clip, real_clips
from tests.processors.stt.textnorm import words

FIVE_FIVE = "ps_cards_004"  # a real recording of "five five" (CMU pocketsphinx test data)


def test_words_split_on_punctuation_and_digits_count() -> None:
    assert words_of("5, 5, 5-5.") == ["5", "5", "5", "5"]
    assert longest_repeat(words_of("I like I like I like I like cake")) == (("i", "like"), 4)


@pytest.mark.parametrize(
    ("text", "speech_s", "looped"),
    [
        ("5, 5, 5, 5, 5, 5, 5, 5", 0.96, True),  # what tiny.en said for "five five"
        ("5 5", 0.96, False),
        ("no no no no", 1.5, False),  # a child really saying it: 2.7 words/s
        ("no no no no no no no no no", 1.5, True),
        ("I want to go I want to go I want to go I want to go", 2.0, True),  # a 4-gram loop
        ("ten of clubs ten of clubs", 0.5, False),  # repeated only twice: not a loop
        ("and the the the the dog", 0.4, True),
    ],
)
def test_a_loop_is_four_repeats_more_than_the_speech_can_hold(
    text: str, speech_s: float, looped: bool
) -> None:
    assert (find_loop(text, speech_s) is not None) == looped


def test_the_guard_rejects_a_short_loop_the_compression_ratio_misses() -> None:
    stats = speech_stats(real_clip(FIVE_FIVE).audio())
    loop = Transcript([segment(" 5, 5, 5, 5, 5, 5, 5, 5", ratio=0.9)])  # ratio far below 2.4
    with pytest.raises(UtteranceRejected, match="repetition loop"):
        HallucinationGuard().filter(loop, stats)
    fine = HallucinationGuard().filter(Transcript([segment(" 5 5", ratio=0.3)]), stats)
    assert fine.text == "5 5"


class _RedecodingBackend(ScriptedBackend):
    def __init__(self, first: str, second: str) -> None:
        super().__init__(segment(first))
        self.second = second
        self.redecodes = 0

    def redecode(self, audio: np.ndarray, language: str | None, beam_size: int) -> Transcript:
        self.redecodes += 1
        return Transcript([segment(self.second)], language or "en")


async def test_a_loop_is_decoded_again_and_the_clean_decode_is_kept() -> None:
    backend = _RedecodingBackend(" 5, 5, 5, 5, 5, 5, 5, 5", " 5 5")
    stage = Transcriber.with_backend(backend)
    result = await stage(MiniTask({"audio_data": real_clip(FIVE_FIVE).audio()}))
    assert result.text == "5 5" and backend.redecodes == 1


async def test_a_loop_that_survives_the_second_decode_is_rejected() -> None:
    backend = _RedecodingBackend(" 5, 5, 5, 5, 5, 5, 5, 5", " 5 5 5 5 5 5")
    stage = Transcriber.with_backend(backend)
    with pytest.raises(UtteranceRejected, match="repetition loop"):
        await stage(MiniTask({"audio_data": real_clip(FIVE_FIVE).audio()}))


async def test_no_second_decode_without_a_loop() -> None:
    backend = _RedecodingBackend(" Ten of clubs.", "unused")
    stage = Transcriber.with_backend(backend)
    result = await stage(MiniTask({"audio_data": real_clip("ps_cards_001").audio()}))
    assert result.text == "Ten of clubs." and backend.redecodes == 0


@pytest.fixture(scope="module")
def looping_stage() -> Transcriber:
    """tiny.en on a 5 s encoder window with 2 s of margin, which loops on the real "five five"
    ("5 5 5 5 5 5" at beam 5, compression ratio 0.92: Whisper's own detector misses it).
    Decoding is deterministic (temperature 0, fixed audio)."""
    stage = Transcriber(encoder_window_s=5.0)
    backend = stage.load_sync()
    assert isinstance(backend, FasterWhisperBackend)
    backend.encoder_window = EncoderWindow(min_s=5.0, margin_s=2.0)
    return stage


@pytest.mark.slow
def test_real_five_five_through_a_looping_window_comes_out_as_two_words(
    looping_stage: Transcriber,
) -> None:
    backend = looping_stage.load_sync()
    assert isinstance(backend, FasterWhisperBackend)
    audio = real_clip(FIVE_FIVE).audio()
    raw = backend.transcribe(audio, "en", 5)
    assert looping_stage.guard.loop_in(raw, speech_stats(audio)) is not None  # it does loop
    assert words(looping_stage.transcribe_array(audio).text) == ["5", "5"]


@pytest.mark.slow
def test_real_short_commands_have_no_loops_with_the_default_stage(
    fw_stage: Transcriber,
) -> None:
    commands = [c for c in real_clips() if c.name.startswith(("ps_cards", "ps_goforward"))]
    assert len(commands) == 6
    for clip in commands:
        audio = clip.audio()
        text = fw_stage.transcribe_array(audio).text
        assert find_loop(text, speech_stats(audio).speech_s, max_words_per_s=2.0) is None, text
        assert len(words(text)) <= len(words(clip.text)) + 1, (clip.name, text)


def test_the_loop_thresholds_are_guard_settings() -> None:
    strict = HallucinationGuard(GuardConfig(loop_min_repeats=2, loop_max_words_per_s=1.0))
    stats = SpeechStats(speech_s=1.0, duration_s=1.5)
    with pytest.raises(UtteranceRejected, match="repetition loop"):
        strict.filter(Transcript([segment(" go go go")]), stats)


async def test_a_repeat_the_duration_could_hold_is_still_decoded_again() -> None:
    # tiny.en on an unseen espeak-ng sentence: 7 words fit 2.3 s of speech, yet it is a loop
    backend = _RedecodingBackend(
        " The snowman, y'all, y'all, y'all, y'all, y'", " The snowman in our yard melted."
    )
    stage = Transcriber.with_backend(backend)
    result = await stage(MiniTask({"audio_data": real_clip("ps_librivox_0930").audio()}))
    assert result.text == "The snowman in our yard melted." and backend.redecodes == 1
