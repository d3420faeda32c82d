"""`teddy doctor` asks each configured Wyoming server Describe -> Info; health is degraded while
a server's last exchange failed and ok again once it answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import TeddyConfig, load_config
from daemon.ops.doctor_checks import check_wyoming_servers
from daemon.ops.health_checks import wyoming_check
from processors.wyoming_link import RemoteUnavailable, WyomingLink, describe_exchange
from tests.wyoming_servers import WyomingServer


def _config(tmp_path: Path, text: str) -> TeddyConfig:
    path = tmp_path / "teddy.toml"
    path.write_text(text)
    return load_config(path)


def test_no_wyoming_configured_means_no_findings(tmp_path: Path) -> None:
    assert check_wyoming_servers(_config(tmp_path, "")) == []


def test_a_server_that_does_not_answer_fails_the_doctor(tmp_path: Path) -> None:
    sock = tmp_path / "none.sock"
    config = _config(tmp_path, f'[stt]\nbackend = "wyoming"\nuri = "unix://{sock}"\n')
    (finding,) = check_wyoming_servers(config)
    assert finding.level == "FAIL" and "no answer to Describe" in finding.detail


def test_health_is_degraded_while_a_link_fails(tmp_path: Path) -> None:
    link = WyomingLink(f"unix://{tmp_path / 'none.sock'}", timeout_s=1.0, role="stt")
    check = wyoming_check(lambda: [link])
    assert check().state == "ok"
    with pytest.raises(RemoteUnavailable):
        link.run(describe_exchange)
    result = check()
    assert result.state == "degraded" and "stt unix://" in result.detail
    assert result.data[link.uri]["fallbacks"] == 1


@pytest.mark.slow
def test_the_doctor_sees_both_real_servers(
    tmp_path: Path, wyoming_stt: WyomingServer, wyoming_tts: WyomingServer
) -> None:
    config = _config(
        tmp_path,
        f'[stt]\nbackend = "wyoming"\nuri = "{wyoming_stt.uri}"\n'
        f'[tts]\nbackend = "wyoming"\nuri = "{wyoming_tts.uri}"\n',
    )
    stt, tts = check_wyoming_servers(config)
    assert stt.level == "ok" and "speech-to-text" in stt.detail, stt
    assert tts.level == "ok" and "voice" in tts.detail, tts
    link = WyomingLink(wyoming_tts.uri, timeout_s=5.0)
    assert link.run(describe_exchange).tts  # and health's link is ok after an answer
    assert wyoming_check(lambda: [link])().state == "ok"
