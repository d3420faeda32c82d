"""`teddy doctor`: one line per check, what to do, exit 1 on any failure."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from daemon.commands import doctor
from daemon.config import TeddyConfig
from daemon.ops import doctor_checks
from daemon.ops.doctor_checks import Finding

LINE = re.compile(r"^(ok|warn|FAIL)\s+\S")


def cfg(**sections: dict[str, object]) -> TeddyConfig:
    """A validated config with the given sections (the rest at their defaults)."""
    return TeddyConfig.model_validate(sections)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="teddy")
    doctor.register(parser.add_subparsers())
    return parser.parse_args(["doctor", *argv])


def ok_check(config: TeddyConfig) -> list[Finding]:
    return [Finding("ok", "thing", "fine")]


def warn_check(config: TeddyConfig) -> list[Finding]:
    return [Finding("warn", "other", "so-so", "do this")]


def fail_check(config: TeddyConfig) -> list[Finding]:
    return [Finding("FAIL", "broken", "missing", "install it")]


def crashing_check(config: TeddyConfig) -> list[Finding]:
    raise RuntimeError("bug in check")


def test_warnings_alone_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(parse(), checks=[ok_check, warn_check]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok    config")
    assert out[2] == f"{'warn':<5} {'other':<28} so-so -> do this"
    assert out[-1] == "teddy doctor: 2 ok, 1 warning(s), 0 failure(s)"


def test_any_failure_exits_1_and_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(parse(), checks=[fail_check, ok_check]) == 1
    out = capsys.readouterr().out
    assert "FAIL  broken" in out
    assert "-> install it" in out


def test_crashing_check_is_a_failure_and_the_rest_still_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert doctor.run(parse(), checks=[crashing_check, ok_check]) == 1
    out = capsys.readouterr().out
    assert "FAIL  crashing" in out and "RuntimeError: bug in check" in out
    assert "ok    thing" in out


def test_bad_config_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(parse("--config", str(tmp_path / "nope.toml")), checks=[ok_check]) == 1
    assert "FAIL  config" in capsys.readouterr().out


def test_real_doctor_exit_code_matches_its_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code = doctor.run(parse())
    lines = capsys.readouterr().out.splitlines()
    assert all(LINE.match(line) for line in lines[:-1]), lines
    names = {line.split()[1] for line in lines[:-1]}
    for expected in ("config", "portaudio", "input", "output", "stt", "vad", "tts", "history"):
        assert expected in names
    assert code == (1 if any(line.startswith("FAIL") for line in lines) else 0)


def test_bundled_models_are_found() -> None:
    findings = [
        *doctor_checks.check_stt(cfg()),
        *doctor_checks.check_vad(cfg()),
        *doctor_checks.check_emotion(cfg()),
        *doctor_checks.check_packages(cfg()),
    ]
    assert [f.level for f in findings] == ["ok"] * len(findings), findings


def test_unknown_stt_model_fails(tmp_path: Path) -> None:
    (finding,) = doctor_checks.check_stt(cfg(stt={"model": str(tmp_path)}))
    assert finding.level == "FAIL"
    assert "tiny.en" in finding.fix


def test_missing_portaudio_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_library() -> None:
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(doctor_checks, "_load_sounddevice", no_library)
    (finding,) = doctor_checks.check_portaudio(cfg())
    assert finding.level == "FAIL"
    assert "libportaudio2" in finding.fix


def test_replay_input_is_checked_as_a_path(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"")
    found = doctor_checks.check_audio_devices(cfg(audio={"input_device": f"replay:{wav}"}))[0]
    assert found.level == "ok"
    missing = doctor_checks.check_audio_devices(cfg(audio={"input_device": "replay:/nonexistent"}))[
        0
    ]
    assert missing.level == "FAIL"


def test_tts_chosen_backend_must_work_others_are_optional(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    findings = doctor_checks.check_tts(cfg(tts={"voice": "no-such-voice"}))
    hibari = next(f for f in findings if f.name.startswith("tts hibari"))
    assert hibari.level == "FAIL"
    monkeypatch.setattr(doctor_checks, "_hibari", lambda voice: (False, "hibari-tts not installed"))
    relaxed = doctor_checks.check_tts(cfg(tts={"backend": "espeak-ng"}))
    assert next(f for f in relaxed if f.name.startswith("tts hibari")).level == "warn"
    # a backend the config model would refuse, as a plug-in-era config might carry
    default = cfg()
    festival = default.model_copy(
        update={"tts": default.tts.model_copy(update={"backend": "festival"})}
    )
    unknown = doctor_checks.check_tts(festival)
    assert unknown[-1].level == "FAIL"


def test_api_key_missing_is_only_a_warning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    (finding,) = doctor_checks.check_api_key(cfg())
    assert finding.level == "warn"
    assert "offline" in finding.detail
    key = tmp_path / "key"
    key.write_text("sk-test\n")
    assert doctor_checks.check_api_key(cfg(llm={"api_key_file": str(key)}))[0].level == "ok"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    (finding,) = doctor_checks.check_api_key(cfg())
    assert finding.level == "ok"
    assert "sk-env" not in finding.detail


def test_history_db(tmp_path: Path) -> None:
    fresh = doctor_checks.check_db(cfg(history={"path": str(tmp_path / "sub" / "h.sqlite3")}))
    assert fresh[0].level == "ok" and "will be created" in fresh[0].detail
    assert not (tmp_path / "sub").exists()
    bad = tmp_path / "h.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    assert doctor_checks.check_db(cfg(history={"path": str(bad)}))[0].level == "FAIL"


@pytest.mark.slow
@pytest.mark.audio
def test_devices_found_on_the_audio_rig(audio_rig: object) -> None:
    findings = doctor_checks.check_audio_devices(cfg())
    assert [f.level for f in findings] == ["ok", "ok"], findings


def test_invalid_config_value_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "teddy.toml"
    bad.write_text("[health]\nport = 99999\n")
    assert doctor.run(parse("--config", str(bad)), checks=[ok_check]) == 1
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("FAIL  config"))
    assert "health.port" in line
