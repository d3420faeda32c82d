"""``replay:PATH`` input: files and folders, any format, pacing, and errors."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from daemon.hearing import BLOCK, SAMPLE_RATE, ReplaySource, open_source
from daemon.hearing.endpointing import Endpointer, SpeechEnded, listen
from daemon.hearing.replay import parse_replay, wav_chunks
from processors.audio.samples import as_float32
from tests.daemon.hearing.speech import espeak


async def collect(source: ReplaySource) -> np.ndarray:
    return np.concatenate([f.samples async for f in source.frames()])


def test_open_source_understands_replay(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros(1600, np.float32), 16000)
    source = open_source(f"replay:{wav}", fast=True)
    assert isinstance(source, ReplaySource) and source.fast
    assert parse_replay("pulse") is None


async def test_stereo_44k_file_is_converted_to_16k_mono(tmp_path: Path) -> None:
    rate = 44_100
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 300 * t)
    sf.write(tmp_path / "stereo.wav", np.stack([tone, tone], axis=1), rate, subtype="PCM_24")
    source = ReplaySource(tmp_path / "stereo.wav", fast=True, lead_s=0.0, tail_s=0.0)
    frames = [f async for f in source.frames()]
    assert all(f.samples.dtype == np.float32 and f.samples.size == BLOCK for f in frames)
    audio = np.concatenate([f.samples for f in frames])
    assert abs(audio.size - SAMPLE_RATE) < BLOCK
    assert 0.45 < float(np.abs(audio[1000:15000]).max()) < 0.55
    # Timestamps are contiguous on the replay clock.
    assert all(abs(b.t - a.end) < 1e-9 for a, b in itertools.pairwise(frames))


async def test_folder_is_replayed_in_name_order_with_silence_between(tmp_path: Path) -> None:
    for i, text in enumerate(["one apple", "two bananas"]):
        espeak(text, tmp_path / f"{i}.wav")
    (tmp_path / "notes.txt").write_text("not audio")
    source = ReplaySource(tmp_path, fast=True, gap_s=1.0)
    events = [e async for e in listen(source, Endpointer())]
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert [p.name for p, _ in source.file_offsets] == ["0.wav", "1.wav"]
    assert len(ended) == 2
    assert source.state.reason == "replay finished"


async def test_real_time_pacing_takes_as_long_as_the_audio(tmp_path: Path) -> None:
    sf.write(tmp_path / "half.wav", np.zeros(SAMPLE_RATE // 2, np.float32), SAMPLE_RATE)
    source = ReplaySource(tmp_path / "half.wav", lead_s=0.0, tail_s=0.0)
    began = time.monotonic()
    audio = await collect(source)
    assert time.monotonic() - began >= audio.size / SAMPLE_RATE - 0.05


async def test_a_bad_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "a_bad.wav").write_bytes(b"RIFF nonsense")
    sf.write(tmp_path / "b_good.wav", np.full(1600, 0.1, np.float32), SAMPLE_RATE)
    source = ReplaySource(tmp_path, fast=True, lead_s=0.0, tail_s=0.0)
    audio = await collect(source)
    assert [p.name for p, _ in source.file_offsets] == ["b_good.wav"]
    assert audio.size >= 1600


def test_missing_path_or_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ReplaySource(tmp_path / "nope.wav")
    with pytest.raises(FileNotFoundError, match=r"no \.wav files"):
        ReplaySource(tmp_path)


async def test_a_file_is_streamed_with_the_same_samples_as_converting_it_whole(
    tmp_path: Path,
) -> None:
    rate = 44_100
    noise = np.random.default_rng(3).uniform(-0.5, 0.5, (int(3.3 * rate), 2))
    sf.write(tmp_path / "long.wav", noise, rate, subtype="FLOAT")
    chunks = list(wav_chunks(tmp_path / "long.wav"))
    # a second at a time (and the resampler's flush), never the whole file
    assert len(chunks) == 4 and max(c.size for c in chunks) < 1.1 * SAMPLE_RATE
    source = ReplaySource(tmp_path / "long.wav", fast=True, lead_s=0.0, tail_s=0.0)
    replayed = await collect(source)
    whole = as_float32(sf.read(tmp_path / "long.wav", dtype="float32")[0], rate)
    np.testing.assert_array_equal(replayed[: whole.size], whole)
    assert not replayed[whole.size :].any() and replayed.size % BLOCK == 0


async def test_a_file_that_fails_halfway_is_played_up_to_there(tmp_path: Path) -> None:
    broken = np.full(2 * SAMPLE_RATE, 0.1, np.float32)
    broken[int(1.5 * SAMPLE_RATE) :] = np.nan  # the second second cannot be played
    sf.write(tmp_path / "a_broken.wav", broken, SAMPLE_RATE, subtype="FLOAT")
    sf.write(tmp_path / "b_empty.wav", np.zeros(0, np.float32), SAMPLE_RATE)
    sf.write(tmp_path / "c_good.wav", np.full(1600, 0.2, np.float32), SAMPLE_RATE, subtype="FLOAT")
    source = ReplaySource(tmp_path, fast=True, lead_s=0.0, gap_s=0.0, tail_s=0.0)
    audio = await collect(source)
    assert [p.name for p, _ in source.file_offsets] == ["a_broken.wav", "c_good.wav"]
    assert np.count_nonzero(audio == np.float32(0.1)) == SAMPLE_RATE  # the first second
    assert np.count_nonzero(audio == np.float32(0.2)) == 1600
    assert np.all(np.isfinite(audio))
