"""`teddy history`: table, --json (JSON Lines, oldest first), purge --before, export, --config."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from daemon.commands import history as command
from daemon.history import HistoryStore

UTC = dt.UTC


def _teddy(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="teddy")
    command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["history", *argv])
    return int(args.func(args))


def _seed(path: Path) -> list[str]:
    async def seed() -> list[str]:
        async with await HistoryStore.open(path) as store:
            ids = []
            for day, said in ((1, "hello bear"), (20, "I am scared of the dark")):
                iid = await store.record_captured(started_at=dt.datetime(2026, 1, day, tzinfo=UTC))
                await store.update_stage(
                    iid,
                    "reply",
                    status="replied",
                    transcript=said,
                    reply="Hi friend!",
                    emotion="fear",
                    emotion_scores={"fear": 0.8},
                    offline=False,
                    timing=0.4,
                )
                await store.finish(iid, "done", timings={"reply_s": 0.4})
                ids.append(iid)
            return ids

    return asyncio.run(seed())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


def test_json_lines_oldest_first_with_the_contract_keys(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _seed(db)
    assert _teddy("--db", str(db), "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ids
    for key in (
        "id",
        "started_at",
        "status",
        "transcript",
        "emotion",
        "emotion_scores",
        "reply",
        "offline",
        "timings",
    ):
        assert key in rows[0]
    assert rows[1]["offline"] is False and rows[1]["timings"]["reply_s"] == 0.4


def test_limit(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed(db)
    assert _teddy("--db", str(db), "--json", "--limit", "1") == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ids[1:]


def test_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(db)
    assert _teddy("--db", str(db)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("started (local)") and len(out) == 4
    assert "I am scared of the dark → Hi friend!" in out[3] and "fear" in out[3]


def test_config_finds_the_database(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(db)
    config = tmp_path / "teddy.toml"
    config.write_text(f'[history]\npath = "{db}"\n')
    assert _teddy("--config", str(config), "--json") == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_bad_config_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "teddy.toml"
    config.write_text("[history]\nretention_days = -1\n")
    assert _teddy("--config", str(config)) == 1
    assert "history.retention_days = -1" in capsys.readouterr().err


def test_purge_before(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed(db)
    assert _teddy("purge", "--db", str(db), "--before", "2026-01-10T00:00+00:00") == 0
    assert "deleted 1 interaction(s)" in capsys.readouterr().out
    assert _teddy("--db", str(db), "--json") == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ids[1:]


def test_purge_needs_a_valid_date(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(db)
    assert _teddy("purge", "--db", str(db), "--before", "last tuesday") == 1
    assert "expected YYYY-MM-DD" in capsys.readouterr().err


def test_export(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _seed(db)
    assert _teddy("--db", str(db), "export") == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ids and rows[0]["tasks"] == [] and rows[0]["alerts"] == []


def test_missing_database_is_not_created(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _teddy("--db", str(db), "--json") == 0
    assert capsys.readouterr().out == "" and not db.exists()


def test_parse_before() -> None:
    now = dt.datetime(2026, 3, 31, tzinfo=UTC)
    assert command.parse_before("30d", now) == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert command.parse_before("2026-01-02T03:04+00:00") == dt.datetime(
        2026, 1, 2, 3, 4, tzinfo=UTC
    )
    assert command.parse_before("2026-01-02").tzinfo is not None
