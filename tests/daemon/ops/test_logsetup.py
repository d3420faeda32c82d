"""Logging setup from [logging]: text and JSON lines, live level changes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from daemon.ops.logsetup import ROOT, set_level, setup_logging


@pytest.fixture(autouse=True)
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == ROOT]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_json_lines_with_extra_fields() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", out, env={})
    logging.getLogger("teddy.test").info("stage %s done", "stt", extra={"interaction_id": "abc"})
    entry = json.loads(out.getvalue())
    assert entry["message"] == "stage stt done" and entry["level"] == "INFO"
    assert entry["logger"] == "teddy.test" and entry["interaction_id"] == "abc"


def test_text_without_timestamp_under_journald_with_the_priority_prefix() -> None:
    out = io.StringIO()
    setup_logging("DEBUG", "text", out, env={"JOURNAL_STREAM": "8:1234"})
    log = logging.getLogger("teddy.test")
    log.warning("no microphone")
    log.error("disk full")
    log.info("up")
    log.debug("detail")
    log.critical("gone")
    assert out.getvalue().splitlines() == [
        "<4>WARNING teddy.test: no microphone",
        "<3>ERROR teddy.test: disk full",
        "<6>INFO teddy.test: up",
        "<7>DEBUG teddy.test: detail",
        "<2>CRITICAL teddy.test: gone",
    ]


def test_level_changes_live_and_setup_replaces_its_handler() -> None:
    out = io.StringIO()
    setup_logging("WARNING", "text", io.StringIO(), env={})
    setup_logging("WARNING", "text", out, env={"JOURNAL_STREAM": "1:1"})
    assert [h.get_name() for h in logging.getLogger().handlers].count(ROOT) == 1
    log = logging.getLogger("teddy.test")
    log.info("hidden")
    set_level("debug")
    log.debug("shown")
    assert out.getvalue() == "<7>DEBUG teddy.test: shown\n"


def test_bad_values_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"logging\.format 'xml'"):
        setup_logging("INFO", "xml", io.StringIO(), env={})
    with pytest.raises(ValueError, match=r"logging\.level 'LOUD'"):
        set_level("LOUD")
