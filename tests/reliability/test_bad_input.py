"""The bad-input corpus, part 2 (part 1: ``test_bad_config.py``): audio files, chat text,
database states, plug-ins, HTTP and the LLM's failures. Each case pins the exact one-line message a
user sees — it names the input, what is wrong and what is allowed — never a traceback."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e.harness import ROOT

# -- audio files ---------------------------------------------------------------------------


def _wav(path: Path, seconds: float, rate: int = 16_000) -> Path:
    import soundfile as sf

    sf.write(str(path), np.zeros(int(seconds * rate), dtype=np.float32), rate, subtype="PCM_16")
    return path


def _audio_error(path: Path, limit: float | None = 60.0) -> str:
    from processors.audio.samples import BadAudio
    from processors.stt.audio_file import read_audio_file

    with pytest.raises(BadAudio) as caught:
        read_audio_file(path, limit)
    return str(caught.value)


def test_audio_file_too_long_is_refused_before_decoding(tmp_path: Path) -> None:
    import tracemalloc

    long = _wav(tmp_path / "long.wav", 120.0)
    tracemalloc.start()
    try:
        message = _audio_error(long)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == f"{long}: audio is 120.0 s long; the limit is 60 s"
    assert peak < 1_000_000, f"{peak} bytes to refuse a long file"


def test_audio_file_missing(tmp_path: Path) -> None:
    assert _audio_error(tmp_path / "x.wav") == f"{tmp_path / 'x.wav'}: no such file"


def test_audio_file_empty(tmp_path: Path) -> None:
    assert _audio_error(_wav(tmp_path / "e.wav", 0.0)) == f"{tmp_path / 'e.wav'}: audio is empty"


def test_audio_file_not_audio(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is no audio at all" * 20)
    assert _audio_error(junk).startswith(f"{junk}: cannot decode audio (")


def test_replay_folder_without_wavs(tmp_path: Path) -> None:
    from daemon.hearing.replay import replay_files

    with pytest.raises(FileNotFoundError) as caught:
        replay_files(tmp_path)
    assert str(caught.value) == f"replay folder {tmp_path} contains no .wav files"


def test_audio_payload_with_nan() -> None:
    from processors.audio.samples import BadAudio, as_float32

    with pytest.raises(BadAudio) as caught:
        as_float32(np.array([0.1, np.nan], dtype=np.float32))
    assert str(caught.value) == "audio contains NaN or infinite samples"


def test_audio_payload_odd_pcm_bytes() -> None:
    from processors.audio.samples import BadAudio, as_float32

    with pytest.raises(BadAudio) as caught:
        as_float32(b"\x00\x01\x02")
    assert str(caught.value) == "PCM bytes must be 16-bit samples; got an odd length 3"


# -- chat text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            b"hi \xff there",
            "teddy chat: TEXT is not valid UTF-8 (byte 0xff at character 3); pass UTF-8 text",
        ),
        (b"   ", "teddy chat: TEXT is empty"),
    ],
)
def test_chat_text(tmp_path: Path, text: bytes, message: str) -> None:
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"daemon", b"chat", text],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"},
    )
    assert done.returncode == 2
    assert done.stderr.decode().strip() == message
    assert b"Traceback" not in done.stderr


# -- database states -----------------------------------------------------------------------


async def test_db_corrupt_file_is_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from daemon.history import HistoryStore

    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"\x00garbage" * 512)
    async with await HistoryStore.open(path):
        pass
    (aside,) = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]  # noqa: ASYNC240
    assert caplog.messages[-1] == (
        f"history database {path} is corrupt (file is not a database): moved it to {aside} "
        "and started a new one"
    )


async def test_db_from_a_newer_teddy(tmp_path: Path) -> None:
    import sqlite3

    from daemon.history import HistoryDbError, HistoryStore
    from daemon.history.db import SCHEMA_VERSION

    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(HistoryDbError) as caught:
        await HistoryStore.open(path)
    assert str(caught.value) == (
        f"history database {path} has schema version 99, newer than this teddy understands "
        f"({SCHEMA_VERSION}); upgrade teddy or point history.path elsewhere"
    )


async def test_db_journal_row_whose_audio_is_gone(tmp_path: Path) -> None:
    from daemon.history import HistoryStore
    from daemon.history.journal import Journal

    async with await HistoryStore.open(tmp_path / "h.sqlite3") as store:
        await store.record_captured(interaction_id="lost")
        assert await Journal(store).resume_plan(300, speak=True) == []
        row = await store.get("lost")
    assert row is not None and (row["status"], row["error"]) == (
        "failed",
        "its audio was lost before it was transcribed",
    )


async def test_db_journal_row_too_old(tmp_path: Path) -> None:
    from daemon.history import HistoryStore
    from daemon.history.journal import Journal

    async with await HistoryStore.open(tmp_path / "h.sqlite3") as store:
        started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
        await store.record_captured(interaction_id="goodnight", started_at=started)
        assert await Journal(store).resume_plan(300, speak=True) == []
        row = await store.get("goodnight")
    assert row is not None and row["status"] == "expired"
    assert row["error"] == (
        "not answered: 32400 s old at restart, over history.resume_max_age_s = 300"
    )


# -- plug-ins ------------------------------------------------------------------------------


async def _run_plugin(fn: Any, limit_s: float | None = None) -> Any:
    from processors import ProcessingTask, create_processor

    processor = await create_processor()
    if fn is not None:
        processor.register_processor("p", fn)
    try:
        task_id = await processor.submit_task(ProcessingTask("p", {}, timeout=limit_s))
        return await processor.wait_for_task(task_id, timeout=10)
    finally:
        await processor.shutdown(timeout=2)


async def test_plugin_that_raises() -> None:
    def boom(task: Any) -> None:
        raise ValueError("the word list is empty")

    result = await _run_plugin(boom)
    assert (result.status.value, result.error) == ("failed", "ValueError: the word list is empty")


async def test_plugin_that_blocks_the_loop() -> None:
    from tests.reliability.plugins import block_the_loop

    async def short(task: Any) -> Any:
        import time

        time.sleep(0.5)  # noqa: ASYNC251 - the misbehaviour under test
        return {}

    result = await _run_plugin(short, limit_s=0.2)
    assert result.status.value == "timeout"
    assert result.error == (
        "blocked the event loop for 0.5s, over its 0.2s timeout: an async processor must await "
        "(run blocking code with asyncio.to_thread)"
    )
    assert block_the_loop.__doc__  # the suite's slower twin, used by hand


async def test_plugin_missing() -> None:
    result = await _run_plugin(None)
    assert result.status.value == "failed"
    assert result.error is not None
    assert result.error.startswith("NoProcessorRegistered: no processor for task type 'p'")


# -- HTTP ----------------------------------------------------------------------------------


async def test_http_malformed_request_is_one_info_line(caplog: pytest.LogCaptureFixture) -> None:
    from daemon.ops.health import HealthRegistry
    from daemon.ops.http import HealthServer
    from daemon.ops.metrics import TeddyMetrics

    caplog.set_level(logging.DEBUG)
    server = HealthServer(HealthRegistry(), TeddyMetrics(), host="127.0.0.1", port=0)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        await writer.drain()
        answer = await reader.read(100)
        writer.close()
        await asyncio.sleep(0.1)
    finally:
        await server.stop()
    assert answer.startswith(b"HTTP/1.0 400 Bad Request")
    lines = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in lines] == [
        (
            "INFO",
            "Error handling request from 127.0.0.1: malformed HTTP request (Invalid character "
            "in Content-Length)",
            None,
        )
    ]


# -- the LLM's failures --------------------------------------------------------------------


def _api_error(status: int, body: Any = None) -> Exception:
    import anthropic
    import httpx2

    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
    response = httpx2.Response(status, request=request)
    kind = {429: anthropic.RateLimitError}.get(status, anthropic.InternalServerError)
    return kind("error", response=response, body=body)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: _api_error(429), "rate_limited"),
        (lambda: _api_error(529), "overloaded"),
        (
            lambda: _api_error(500, {"type": "error", "error": {"type": "overloaded_error"}}),
            "overloaded",
        ),
        (lambda: __import__("httpx2").ConnectError("Connection refused"), "unreachable"),
        (lambda: _api_error(500), "api_error"),
    ],
    ids=["429", "529", "overloaded-event", "refused", "500"],
)
def test_llm_offline_reason(make: Any, reason: str) -> None:
    from processors.reply.llm.client import classify_error

    assert classify_error(make()) == reason


def test_llm_without_a_key_says_no_api_key() -> None:
    from daemon.interaction.wiring import Stages

    class Offline:
        def health(self) -> dict[str, Any]:
            return {"state": "offline", "model": "m", "last_error": None}

    stages = Stages.__new__(Stages)
    stages.responder = Offline()  # type: ignore[assignment]
    assert stages.llm_state() == ("offline", "no_api_key")
