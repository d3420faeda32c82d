"""teddy as Home Assistant's conversation agent: the daemon with ``wyoming.listen`` set, called
with the ``wyoming`` client exactly as HA's Wyoming conversation integration calls it (Describe,
then a Transcript per turn on its own connection, reading until Handled or NotHandled)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from wyoming.asr import Transcript
from wyoming.client import AsyncClient
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info

from daemon.app import Daemon
from daemon.config import load_config
from daemon.wyoming.conversation import NO_REPLY, ConversationServer


async def _call(uri: str, event: Event, accept: tuple[str, ...]) -> Event:
    client = AsyncClient.from_uri(uri)
    await client.connect()
    try:
        await client.write_event(event)
        while True:
            answer = await asyncio.wait_for(client.read_event(), 60)
            assert answer is not None, "the server closed without answering"
            if answer.type in accept:
                return answer
    finally:
        await client.disconnect()


async def _ask(uri: str, text: str, conversation_id: str = "ha-1") -> Event:
    turn = Transcript(text=text, context={"conversation_id": conversation_id}, language="en")
    return await _call(uri, turn.event(), ("handled", "not-handled"))


def _rows(db: Path, query: str) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(query)]


@pytest.fixture
async def bear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Path]]:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)  # the offline responder answers
    listen = f"unix://{tmp_path / 'teddy.sock'}"
    db = tmp_path / "history.sqlite3"
    silence = tmp_path / "silence.wav"
    sf.write(silence, np.zeros(16_000, np.float32), 16_000)
    config_file = tmp_path / "teddy.toml"
    config_file.write_text(
        f'[history]\npath = "{db}"\n[pipeline]\nspeak = false\n[wyoming]\nlisten = "{listen}"\n'
    )
    daemon = Daemon(
        load_config(config_file), input_spec=f"replay:{silence}", serve_http=False, env={}
    )
    await daemon.start()
    try:
        assert daemon.conversation is not None
        yield listen, db
    finally:
        await daemon.stop()


@pytest.mark.slow
async def test_home_assistant_talks_to_the_bear(bear: tuple[str, Path]) -> None:
    listen, db = bear
    described = await _call(listen, Describe().event(), ("info",))
    (program,) = Info.from_event(described).handle
    assert program.name == "teddy" and program.models[0].languages == ["en"]

    answer = await _ask(listen, "I am scared of the dark.")
    assert Handled.is_type(answer.type), answer
    handled = Handled.from_event(answer)
    assert handled.text and len(handled.text) > 10
    assert handled.context == {"conversation_id": "ha-1"}  # HA matches turns by it

    (row,) = _rows(db, "SELECT * FROM interactions")
    assert row["transcript"] == "I am scared of the dark."
    assert row["emotion"] == "fear", row["emotion_scores"]
    assert row["reply"] == handled.text and row["status"] == "done", row
    alerts = _rows(db, "SELECT * FROM alerts")
    assert [a["rule"] for a in alerts] == ["emotion:fear"]

    # a second turn on a new connection, as HA makes one per request
    again = await _ask(listen, "Can we play with my red ball?", "ha-2")
    assert Handled.is_type(again.type)
    assert len(_rows(db, "SELECT * FROM interactions")) == 2


async def test_a_failing_turn_answers_not_handled_and_the_server_keeps_serving(
    tmp_path: Path,
) -> None:
    calls: list[str] = []

    async def answer(text: str) -> str | None:
        calls.append(text)
        if text == "boom":
            raise RuntimeError("the pipeline broke")
        return None if text == "nothing" else f"you said {text}"

    listen = f"unix://{tmp_path / 'c.sock'}"
    server = ConversationServer(listen, answer)
    await server.start()
    try:
        failed = await _ask(listen, "boom")
        assert NotHandled.is_type(failed.type) and NotHandled.from_event(failed).text == NO_REPLY
        silent = await _ask(listen, "nothing")
        assert NotHandled.is_type(silent.type)
        fine = await _ask(listen, "hello")
        assert Handled.from_event(fine).text == "you said hello"
        empty = await _ask(listen, "   ")
        assert NotHandled.is_type(empty.type)
    finally:
        await server.stop()
    assert calls == ["boom", "nothing", "hello"]  # an empty transcript never reaches the bear


async def test_a_taken_address_is_logged_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from daemon.wyoming.conversation import start_conversation

    blocker = await asyncio.start_server(lambda r, w: None, host="127.0.0.1", port=0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        assert await start_conversation(f"tcp://127.0.0.1:{port}", object()) is None  # type: ignore[arg-type]
    finally:
        blocker.close()
        await blocker.wait_closed()
    assert "cannot listen" in caplog.text
