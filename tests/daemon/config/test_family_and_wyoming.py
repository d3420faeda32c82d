"""The parent's sections ([parental], [memory]), the Wyoming URIs and the apprise destinations:
good values load, bad ones stop the start with one line naming the key and what is allowed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from daemon.config import ConfigError, TeddyConfig, load_config
from daemon.config.family import parse_span


def _load_text(tmp_path: Path, text: str) -> TeddyConfig:
    path = tmp_path / "teddy.toml"
    path.write_text(text)
    return load_config(path, env={}, search=())


def test_quiet_hours_accept_one_span_or_several(tmp_path: Path) -> None:
    one = _load_text(tmp_path, '[parental]\nquiet_hours = "19:30-07:00"\n')
    assert one.parental.quiet_hours == ["19:30-07:00"]
    two = _load_text(tmp_path, '[parental]\nquiet_hours = ["19:30-07:00", "13:00-14:30"]\n')
    assert len(two.parental.quiet_hours) == 2
    assert parse_span("19:30-07:00") == (dt.time(19, 30), dt.time(7, 0))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[parental]\nquiet_hours = ["7pm-7am"]\n', 'write it as "HH:MM-HH:MM"'),
        ('[parental]\nquiet_hours = ["25:00-07:00"]\n', "hours are 00-23"),
        ('[parental]\nbutton = "pin 17"\n', "parental.button = 'pin 17': write \"gpio:<BCM pin>\""),
        ('[parental]\ntrigger = "voice"\n', "parental.trigger = 'voice'"),
        ('[stt]\nbackend = "wyoming"\n', "stt.uri is not set: backend wyoming needs tcp://"),
        ('[tts]\nuri = "http://x:1"\n', "tts.uri = 'http://x:1': write tcp://HOST:PORT"),
        ('[wyoming]\nlisten = "tcp://host"\n', "wyoming.listen = 'tcp://host'"),
        ('[alerts]\nurls = ["ntfy.sh/topic"]\n', "alerts.urls: 'ntfy.sh/topic' is not a URL"),
        ('[alerts]\ndigest_at = "8pm"\n', "alerts.digest_at = '8pm'"),
        ("[memory]\nmax_prompt_facts = 500\n", "memory.max_prompt_facts"),
    ],
)
def test_bad_values_name_key_and_what_is_allowed(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load_text(tmp_path, text)
    message = str(err.value)
    assert needle in message
    assert "\n" not in message


def test_wyoming_uris_load(tmp_path: Path) -> None:
    config = _load_text(
        tmp_path,
        '[stt]\nbackend = "wyoming"\nuri = "tcp://127.0.0.1:10300"\n'
        '[tts]\nbackend = "wyoming"\nuri = "unix:///run/piper.sock"\n'
        '[wyoming]\nlisten = "tcp://0.0.0.0:10700"\n',
    )
    assert config.stt.uri == "tcp://127.0.0.1:10300"
    assert config.tts.uri == "unix:///run/piper.sock"
    assert config.wyoming.listen == "tcp://0.0.0.0:10700"
