"""`teddy run` refuses, in one line, settings whose optional extra is not installed."""

from __future__ import annotations

import importlib.util

import pytest

from daemon.commands.run import _missing_extras
from daemon.config import TeddyConfig


def test_wyoming_settings_without_the_extra_are_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = TeddyConfig.model_validate(
        {
            "stt": {"backend": "wyoming", "uri": "tcp://127.0.0.1:10300"},
            "wyoming": {"listen": "tcp://127.0.0.1:10700"},
        }
    )
    assert _missing_extras(config) is None  # installed here (the dev extra)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wyoming" else real(name, *a)
    )
    message = _missing_extras(config)
    assert message == (
        "stt.backend = wyoming, wyoming.listen needs the Wyoming extra, which is not installed: "
        "pip install 'teddy[wyoming]' (or turn those settings off)"
    )
    assert _missing_extras(TeddyConfig()) is None
