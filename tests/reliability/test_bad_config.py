"""The bad-input corpus, part 1: config files and environment overrides. Each case pins the
exact one-line message a user sees: the input, what is wrong and what is allowed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config

F = "<FILE>"

CONFIG_CASES = [
    (
        "[history]\nretention_days = true\n",
        f"invalid config ({F}): history.retention_days = True: must be a number, not true/false",
    ),
    (
        "[history]\nstore_audio = 1\n",
        f"invalid config ({F}): history.store_audio = 1: must be true or false",
    ),
    (
        '[history]\nstore_audio = "yes"\n',
        f"invalid config ({F}): history.store_audio = 'yes': must be true or false",
    ),
    (
        "[history]\nretention_days = 2.5\n",
        f"invalid config ({F}): history.retention_days = 2.5: must be a whole number",
    ),
    (
        "[history]\nretention_days = -1\n",
        f"invalid config ({F}): history.retention_days = -1: must be greater than or equal to 0",
    ),
    (
        '[health]\ntoken = "hunter2"\n',
        f"invalid config ({F}): health.token is 7 characters long: use at least 16 (e.g. the "
        "output of `openssl rand -hex 16`)",
    ),
    (
        "[health]\nport = 70000\n",
        f"invalid config ({F}): health.port = 70000: must be less than or equal to 65535",
    ),
    (
        "[history]\nkeep = 3\n",
        f"invalid config ({F}): unknown key history.keep; allowed keys in [history]: path, "
        "retention_days, store_audio, resume_max_age_s, purge_interval_h",
    ),
    (
        '[histroy]\npath = ""\n',
        f"invalid config ({F}): unknown key histroy; allowed keys in the top level: child, "
        "logging, audio, vad, stt, emotion, parental, memory, wyoming, llm, tts, alerts, history, "
        "health, processor, plugins, pipeline",
    ),
    (
        "[history\n",
        f"config {F}: not valid TOML: Expected ']' at the end of a table declaration "
        "(at line 1, column 9)",
    ),
    (
        "[vad]\nsilence_ms = -5\n",
        f"invalid config ({F}): vad.silence_ms = -5: must be greater than or equal to 100",
    ),
    (
        '[stt]\nbackend = "whisperx"\n',
        f"invalid config ({F}): stt.backend = 'whisperx': must be 'faster-whisper', "
        "'openai-whisper' or 'wyoming'",
    ),
    (
        '[llm]\nbase_url = "ftp://example.com"\n',
        f"invalid config ({F}): llm.base_url = 'ftp://example.com': must start with http:// or "
        "https://",
    ),
    (
        '[health]\nhost = "0.0.0.0"\n',
        f"invalid config ({F}): health.host = '0.0.0.0' is not a loopback address: set "
        "health.token too (clients then send 'Authorization: Bearer <token>')",
    ),
    (
        "[pipeline]\nmax_pending = 0\n",
        f"invalid config ({F}): pipeline.max_pending = 0: must be greater than or equal to 1",
    ),
    (
        "[history]\nresume_max_age_s = -1\n",
        f"invalid config ({F}): history.resume_max_age_s = -1: must be greater than or equal to 0",
    ),
    (
        '[[pipeline.steps]]\ntype = "wc"\ndepends_on = ["nowhere"]\n',
        f"invalid config ({F}): pipeline.steps: step 'wc' depends_on unknown ['nowhere']; "
        "allowed: ['acoustic', 'alerts', 'emotion', 'history', 'reply', 'speech', "
        "'transcription']",
    ),
    (
        '[pipeline]\nspeak = "no"\n',
        f"invalid config ({F}): pipeline.speak = 'no': must be true or false",
    ),
    (
        "[processor]\nmax_workers = true\n",
        f"invalid config ({F}): processor.max_workers = True: must be a number, not true/false",
    ),
    (
        "[processor]\nshutdown_timeout_s = false\n",
        f"invalid config ({F}): processor.shutdown_timeout_s = False: must be a number, not "
        "true/false",
    ),
    (
        '[plugins]\nwc = "no-colon"\n',
        f"invalid config ({F}): plugins.wc = 'no-colon': 'no-colon' is not of the form "
        "'package.module:function'",
    ),
]


@pytest.mark.parametrize(("text", "message"), CONFIG_CASES, ids=lambda v: str(v)[:30])
def test_config_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "teddy.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, search=())
    assert str(caught.value).replace(str(path), F) == message


def test_config_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "teddy.toml"
    path.write_bytes(b'[child]\nname = "L\xe9a"\n')  # Latin-1, as an old editor saves it
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, search=())
    assert str(caught.value) == (
        f"config {path}: not UTF-8 text (byte 0xe9 at offset 17); TOML files must be saved as UTF-8"
    )


def test_config_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={}, search=())
    assert str(caught.value) == (
        f"config file {tmp_path} (from --config) is a directory; name a TOML file"
    )


def test_config_path_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml", env={}, search=())
    assert (
        str(caught.value) == f"config file {tmp_path / 'nope.toml'} (from --config) does not exist"
    )


ENV_CASES = [
    (
        {"TEDDY_HEALTH__PORTX": "1"},
        "invalid config (built-in defaults + TEDDY_HEALTH__PORTX): unknown key health.portx "
        "(from TEDDY_HEALTH__PORTX); allowed keys in [health]: host, port, token, "
        "max_queue_depth, min_success_rate, loop_lag_degraded_s, loop_lag_unhealthy_s",
    ),
    (
        {"TEDDY_HISTORY__STORE_AUDIO": "yes"},
        "invalid config (built-in defaults + TEDDY_HISTORY__STORE_AUDIO): history.store_audio "
        "= 'yes' (from TEDDY_HISTORY__STORE_AUDIO): must be true or false",
    ),
    (
        {"TEDDY_HEALTH__PORT": "abc"},
        "invalid config (built-in defaults + TEDDY_HEALTH__PORT): health.port = 'abc' (from "
        "TEDDY_HEALTH__PORT): must be a valid integer, unable to parse string as an integer",
    ),
    ({"TEDDY___PORT": "1"}, "TEDDY___PORT: malformed override; use TEDDY_<SECTION>__<KEY>"),
    (
        {"TEDDY_HISTORY__RETENTION_DAYS": "true"},
        "invalid config (built-in defaults + TEDDY_HISTORY__RETENTION_DAYS): "
        "history.retention_days = True (from TEDDY_HISTORY__RETENTION_DAYS): must be a number, "
        "not true/false",
    ),
]


@pytest.mark.parametrize(("env", "message"), ENV_CASES, ids=lambda v: str(v)[:30])
def test_environment(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, env=env, search=())
    assert str(caught.value) == message


def test_environment_typo_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    load_config(None, env={"TEDDY_HEALTH_PORT": "9000", "TEDDY_CONFIG": ""}, search=())
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "environment variable TEDDY_HEALTH_PORT matches no config key and is ignored; "
        "overrides are spelled TEDDY_<SECTION>__<KEY> with two underscores "
        "(e.g. TEDDY_HEALTH__PORT)"
    ]


def test_api_key_file_readable_by_others(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key = tmp_path / "key"
    key.write_text("sk-test\n")
    key.chmod(0o644)
    load_config(None, env={"TEDDY_LLM__API_KEY_FILE": str(key)}, search=())
    assert (
        f"llm.api_key_file {key} is readable by other users (mode 644); chmod 600 it" in caplog.text
    )
