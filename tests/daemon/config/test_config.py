"""Config: defaults, teddy.toml, file resolution, env overrides and error messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from daemon.config import (
    EMOTIONS,
    ConfigError,
    TeddyConfig,
    find_config_file,
    load_config,
    parse_env_value,
)

REPO = Path(__file__).resolve().parents[3]
TEDDY_TOML = REPO / "config" / "teddy.toml"


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> TeddyConfig:
    path = tmp_path / "teddy.toml"
    path.write_text(text)
    return load_config(path, env=env or {}, search=())


def _field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        out.append(prefix + name)
        ann: Any = field.annotation
        for cand in (ann, *getattr(ann, "__args__", ())):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                out += _field_paths(cand, f"{prefix}{name}.")
    return out


def test_builtin_defaults_without_any_file() -> None:
    config = load_config(env={}, search=())
    assert config == TeddyConfig()
    assert config.health.host == "127.0.0.1" and config.health.port == 8765
    assert config.stt.backend == "faster-whisper" and config.stt.model == "tiny.en"
    assert config.tts.backend == "hibari"
    assert config.audio.max_utterance_s == 20.0 and config.vad.silence_ms == 400
    assert config.processor.shutdown_timeout_s == 10.0
    assert config.history.retention_days == 30 and config.history.store_audio is False
    assert config.audio.input_device is None and config.health.token is None


def test_documented_file_equals_builtin_defaults() -> None:
    assert load_config(TEDDY_TOML, env={}, search=()) == TeddyConfig()


def test_documented_file_mentions_every_key() -> None:
    text = TEDDY_TOML.read_text()
    missing = [
        path
        for path in _field_paths(TeddyConfig)
        if not re.search(rf"^(#\s*)?\[*{re.escape(path.split('.')[-1])}\b", text, re.M)
        and f"[{path}]" not in text
    ]
    assert missing == []


def test_design_keys_exist() -> None:
    config = TeddyConfig()
    for key in (
        "audio.input_device audio.output_device vad.silence_ms stt.backend stt.model llm.model "
        "llm.base_url llm.api_key_file llm.timeout_s tts.backend history.path "
        "history.retention_days history.store_audio health.host health.port health.token "
        "processor.max_workers audio.max_utterance_s llm.session_timeout_s llm.max_tokens "
        "child.age processor.shutdown_timeout_s"
    ).split():
        section, name = key.split(".")
        assert hasattr(getattr(config, section), name), key


def test_emotion_names_match_the_emotion_stage() -> None:
    from processors.emotion.labels import EMOTIONS as STAGE_EMOTIONS

    assert tuple(STAGE_EMOTIONS) == EMOTIONS


def test_alerts_section_builds_the_alert_stage(tmp_path: Path) -> None:
    from processors.alerts.stage import AlertStage

    config = _load(tmp_path, '[alerts]\nwebhook_url = "http://127.0.0.1:9/h"\ndesktop = false\n')
    stage = AlertStage.from_config(config.alerts.model_dump())
    assert [c.name for c in stage.channels] == ["webhook"]
    assert stage.rules.emotions == {"fear": 0.7, "sadness": 0.75, "anger": 0.75}


def test_explicit_path_wins_over_env_and_search(tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in ("a.toml", "b.toml", "c.toml"))
    for p in (a, b, c):
        p.write_text("")
    assert find_config_file(a, {"TEDDY_CONFIG": str(b)}, (c,)) == a
    assert find_config_file(None, {"TEDDY_CONFIG": str(b)}, (c,)) == b
    assert find_config_file(None, {}, (tmp_path / "none.toml", c)) == c
    assert find_config_file(None, {}, (tmp_path / "none.toml",)) is None


def test_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope.toml \(from --config\) does not exist"):
        load_config(tmp_path / "nope.toml", env={}, search=())
    with pytest.raises(ConfigError, match=r"from \$TEDDY_CONFIG"):
        load_config(None, env={"TEDDY_CONFIG": str(tmp_path / "x.toml")}, search=())


def test_file_values_are_read(tmp_path: Path) -> None:
    config = _load(tmp_path, "[health]\nport = 9001\n[audio]\ninput_device = 2\n[child]\nage = 7\n")
    assert config.health.port == 9001 and config.audio.input_device == 2 and config.child.age == 7


def test_env_overrides_file_and_parses_toml_scalars(tmp_path: Path) -> None:
    env = {
        "TEDDY_HEALTH__PORT": "9000",
        "TEDDY_HISTORY__STORE_AUDIO": "true",
        "TEDDY_AUDIO__OUTPUT_DEVICE": "USB Speaker",
        "TEDDY_ALERTS__WEBHOOK_URL": "http://127.0.0.1:9/hook",
        "TEDDY_ALERTS__EMOTIONS__FEAR": "0.5",
        "TEDDY_PLUGINS__WORD_COUNT": "pkg.mod:fn",
        "TEDDY_CONFIG_UNRELATED": "ignored",
    }
    config = _load(tmp_path, "[health]\nport = 9001\n", env)
    assert config.health.port == 9000
    assert config.history.store_audio is True
    assert config.audio.output_device == "USB Speaker"
    assert config.alerts.webhook_url == "http://127.0.0.1:9/hook"
    assert config.alerts.emotions == {"fear": 0.5, "sadness": 0.75, "anger": 0.75}
    assert config.plugins == {"word_count": "pkg.mod:fn"}


def test_parse_env_value() -> None:
    assert parse_env_value("9000") == 9000
    assert parse_env_value("0.5") == 0.5
    assert parse_env_value("false") is False
    assert parse_env_value('["fear", "sadness"]') == ["fear", "sadness"]
    assert parse_env_value("127.0.0.1") == "127.0.0.1"
    assert parse_env_value("tiny.en") == "tiny.en"
    assert parse_env_value("1\nx = 2") == "1\nx = 2"


def test_empty_string_means_not_set(tmp_path: Path) -> None:
    config = _load(tmp_path, '[llm]\nbase_url = ""\napi_key_file = ""\n[stt]\nlanguage = ""\n')
    assert config.llm.base_url is None and config.llm.api_key_file is None
    assert config.stt.language is None


def test_paths_expand_the_home_directory(tmp_path: Path) -> None:
    config = _load(tmp_path, '[history]\npath = "~/teddy.db"\n')
    assert config.history.path == Path.home() / "teddy.db"


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("[audio]\ncolour = 1\n", {}, r"unknown key audio\.colour; allowed keys in \[audio\]: "),
        ("[nonsense]\n", {}, r"unknown key nonsense; allowed keys in the top level: child, "),
        ("", {"TEDDY_HEALTH__PORTX": "1"}, r"unknown key health\.portx \(from TEDDY_HEALTH__PORTX"),
        (
            "[health]\nport = 99999\n",
            {},
            r"health\.port = 99999: must be less than or equal to 65535",
        ),
        (
            "",
            {"TEDDY_STT__BACKEND": "whisperx"},
            r"stt\.backend = 'whisperx' \(from TEDDY_STT__BACKEND\): "
            r"must be 'faster-whisper', 'openai-whisper' or 'wyoming'",
        ),
        (
            '[tts]\nbackend = "say"\n',
            {},
            r"tts\.backend = 'say': must be 'hibari', 'piper', 'espeak-ng' or 'wyoming'",
        ),
        (
            '[health]\nhost = "0.0.0.0"\n',
            {},
            r"health\.host = '0\.0\.0\.0' is not a loopback address: set health\.token",
        ),
        (
            '[plugins]\nwc = "nocolon"\n',
            {},
            r"plugins\.wc = 'nocolon': 'nocolon' is not of the form 'package\.module:function'",
        ),
        ("[child]\nage = 40\n", {}, r"child\.age = 40: must be less than or equal to 12"),
        (
            "[alerts]\nemotions = { grumpy = 0.5 }\n",
            {},
            r"alerts\.emotions\.grumpy\.\[key\] = 'grumpy': must be 'joy', ",
        ),
        (
            "[alerts]\nemotions = { fear = 1.5 }\n",
            {},
            r"alerts\.emotions\.fear = 1\.5: must be less",
        ),
        ('[alerts]\nwebhook_url = "ftp://x"\n', {}, r"alerts\.webhook_url = 'ftp://x': must start"),
        (
            '[[pipeline.steps]]\ntype = "wc"\ndepends_on = ["nope"]\n',
            {},
            r"step 'wc' depends_on unknown \['nope'\]; allowed: \['acoustic'",
        ),
        (
            '[[pipeline.steps]]\ntype = "a"\ndepends_on = ["b"]\n'
            '[[pipeline.steps]]\ntype = "b"\ndepends_on = ["a"]\n',
            {},
            r"cycle: a -> b -> a",
        ),
        ("[health\n", {}, r"not valid TOML"),
    ],
)
def test_bad_input_is_one_clear_error(
    tmp_path: Path, text: str, env: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected) as info:
        _load(tmp_path, text, env)
    assert "\n" not in str(info.value)  # one problem, one line
    assert "pydantic" not in str(info.value) and "https://errors" not in str(info.value)


def test_several_problems_are_listed_in_one_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, "[health]\nport = -1\n[vad]\nsilence_ms = 1\n")
    lines = str(info.value).splitlines()
    assert len(lines) == 3
    assert any("health.port = -1" in line for line in lines[1:])
    assert any("vad.silence_ms = 1" in line for line in lines[1:])


def test_token_allows_a_non_loopback_bind(tmp_path: Path) -> None:
    config = _load(tmp_path, '[health]\nhost = "0.0.0.0"\ntoken = "s3cret-s3cret-s3cret"\n')
    assert config.health.host == "0.0.0.0" and config.health.token == "s3cret-s3cret-s3cret"


def test_log_level_is_case_insensitive(tmp_path: Path) -> None:
    assert _load(tmp_path, "", {"TEDDY_LOGGING__LEVEL": "debug"}).logging.level == "DEBUG"


def test_device_index_as_string_is_an_index(tmp_path: Path) -> None:
    assert _load(tmp_path, "", {"TEDDY_AUDIO__INPUT_DEVICE": "3"}).audio.input_device == 3
    assert _load(tmp_path, '[audio]\ninput_device = "3"\n').audio.input_device == 3


def test_pipeline_steps_become_plugin_steps(tmp_path: Path) -> None:
    from processors import TaskPriority

    config = _load(
        tmp_path,
        '[plugins]\nwc = "pkg.mod:fn"\n[[pipeline.steps]]\ntype = "wc"\n'
        'depends_on = ["transcription"]\npriority = "low"\ntimeout = 3.0\n',
    )
    (step,) = config.pipeline.plugin_steps()
    assert step.type == "wc" and tuple(step.depends_on) == ("transcription",)
    assert step.priority is TaskPriority.LOW and step.timeout == 3.0
    assert config.pipeline.timeouts.to_stage_timeouts().speech == 120.0


def test_config_is_immutable() -> None:
    config = TeddyConfig()
    with pytest.raises(ValueError, match="frozen"):
        config.health.port = 1  # type: ignore[misc]


def test_reference_page_lists_every_key() -> None:
    text = (REPO / "docs" / "configuration.md").read_text()
    keys = [p for p in _field_paths(TeddyConfig) if "." in p]
    missing = [p for p in keys if f"`{p.split('.')[-1]}`" not in text and f"{p}]" not in text]
    missing += [f"[{s}]" for s in TeddyConfig.model_fields if f"[{s}]`" not in text]
    assert missing == []


def test_world_readable_secret_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "teddy.toml"
    path.write_text('[health]\ntoken = "s3cret-s3cret-s3cret"\n')
    path.chmod(0o644)
    load_config(path, env={}, search=())
    assert "readable by every user but holds health.token" in caplog.text
    caplog.clear()
    path.chmod(0o600)
    load_config(path, env={}, search=())
    assert caplog.text == ""


def test_stt_encoder_window_is_auto_or_seconds(tmp_path: Path) -> None:
    assert load_config(env={}, search=()).stt.encoder_window_s == "auto"
    assert _load(tmp_path, "[stt]\nencoder_window_s = 0\n").stt.encoder_window_s == 0
    assert _load(tmp_path, "[stt]\nencoder_window_s = 12.5\n").stt.encoder_window_s == 12.5
    with pytest.raises(ConfigError, match=r"stt\.encoder_window_s"):
        _load(tmp_path, '[stt]\nencoder_window_s = "fast"\n')
