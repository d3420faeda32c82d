"""`teddy profile show [--json]` and `teddy profile forget ID|--all` on a real history file."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.history import HistoryStore
from daemon.history.profile import facts, remember
from processors.results import ProfileFact

WHEN = dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC)


def _seed(path: Path) -> list[int]:
    async def seed() -> list[int]:
        async with await HistoryStore.open(path) as store:
            iid = await store.record_captured(source="text", transcript="My dog is called Rex")
            await remember(
                store,
                [ProfileFact("pet", "dog", "Rex"), ProfileFact("likes", "", "dinosaurs")],
                source="patterns",
                interaction_id=iid,
                now=WHEN,
            )
            return [int(r["id"]) for r in await facts(store)]

    return asyncio.run(seed())


def _left(path: Path) -> list[str]:
    async def read() -> list[str]:
        async with await HistoryStore.open(path) as store:
            return [str(r["value"]) for r in await facts(store)]

    return asyncio.run(read())


def test_show_lists_every_fact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.sqlite3"
    _seed(db)
    assert main(["profile", "show", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Rex" in out and "dinosaurs" in out and "pet" in out and "patterns" in out


def test_show_json_is_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.sqlite3"
    ids = _seed(db)
    assert main(["profile", "show", "--json", "--db", str(db)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(ids)
    rex = next(r for r in rows if r["value"] == "Rex")
    assert rex["kind"] == "pet" and rex["subject"] == "dog" and rex["interaction_id"]
    assert rex["created_at"].startswith("2026-12-04T17:00:00")


def test_forget_one_then_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.sqlite3"
    _seed(db)
    rex_id = _id_of(db, "Rex")
    assert main(["profile", "forget", str(rex_id), "--db", str(db)]) == 0
    assert _left(db) == ["dinosaurs"]
    assert main(["profile", "forget", str(rex_id), "--db", str(db)]) == 1
    assert f"no fact with id {rex_id}" in capsys.readouterr().err
    assert main(["profile", "forget", "--all", "--db", str(db)]) == 0
    assert "forgot 1 fact(s)" in capsys.readouterr().out
    assert _left(db) == []
    assert main(["profile", "show", "--db", str(db)]) == 0
    assert "remembers nothing yet" in capsys.readouterr().out


def _id_of(path: Path, value: str) -> int:
    async def find() -> int:
        async with await HistoryStore.open(path) as store:
            return next(int(r["id"]) for r in await facts(store) if r["value"] == value)

    return asyncio.run(find())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["forget"], "say which fact: an ID from `teddy profile show`, or --all"),
        (["forget", "abc"], "ID 'abc' is not a fact id: use a positive whole number"),
        (["forget", "3", "--all"], "give either an ID or --all, not both"),
    ],
)
def test_bad_input_gets_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    db = tmp_path / "h.sqlite3"
    _seed(db)
    assert main(["profile", *argv, "--db", str(db)]) == 1
    assert capsys.readouterr().err.strip() == f"teddy profile: {message}"
    assert sorted(_left(db)) == ["Rex", "dinosaurs"]


def test_no_database_yet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "show", "--db", str(tmp_path / "none.sqlite3")]) == 0
    assert "remembers nothing yet" in capsys.readouterr().err
    assert main(["profile", "forget", "--all", "--db", str(tmp_path / "none.sqlite3")]) == 1
    assert not (tmp_path / "none.sqlite3").exists()
