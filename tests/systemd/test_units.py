"""systemd units: `systemd-analyze verify` clean (no warning at all) and the system unit's
`systemd-analyze security --offline=yes` exposure at most 2.5.

`verify` exits 0 on unknown keys and bad values and only warns, so any output fails the test.
ExecStart is rewritten to this venv's `teddy`, because verify checks that the binary exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_UNIT = REPO / "systemd" / "teddy.service"
USER_UNIT = REPO / "systemd" / "teddy-user.service"
MAX_EXPOSURE = 2.5

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian package: systemd)",
)


def _teddy_command() -> str:
    teddy = Path(sys.executable).parent / "teddy"
    return f"{teddy} run" if teddy.exists() else f"{sys.executable} -m daemon run"


def _installed_copy(unit: Path, folder: Path) -> Path:
    """The unit as it would be installed here: ExecStart pointing at this venv."""
    text = re.sub(r"^ExecStart=.*$", f"ExecStart={_teddy_command()}", unit.read_text(), flags=re.M)
    target = folder / unit.name
    target.write_text(text)
    return target


def verify(unit: Path, tmp_path: Path, user: bool = False) -> str:
    """Everything `systemd-analyze verify` says about the unit ('' = clean)."""
    env = None
    args = ["systemd-analyze", "verify", "--man=no", str(unit)]
    if user:
        runtime = tmp_path / "xdg-runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {"XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
        args.insert(1, "--user")
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env, check=False)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0 and not output:
        output = f"systemd-analyze verify exited {done.returncode}"
    return output


def exposure(unit: Path) -> float:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    assert found, done.stdout + done.stderr
    return float(found.group(1))


def directives(unit: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_system_unit_verifies_without_any_warning(tmp_path: Path) -> None:
    assert verify(_installed_copy(SYSTEM_UNIT, tmp_path), tmp_path) == ""


def test_user_unit_verifies_without_any_warning(tmp_path: Path) -> None:
    assert verify(_installed_copy(USER_UNIT, tmp_path), tmp_path, user=True) == ""


def test_a_warning_fails_the_check(tmp_path: Path) -> None:
    broken = tmp_path / "teddy.service"
    broken.write_text(
        _installed_copy(SYSTEM_UNIT, tmp_path).read_text().replace("[Service]", "[Service]\nFoo=1")
    )
    assert "Unknown key 'Foo'" in verify(broken, tmp_path)
    missing = tmp_path / "missing.service"
    missing.write_text("[Service]\nExecStart=/nonexistent/teddy run\n")
    assert "not executable" in verify(missing, tmp_path)


def test_system_unit_exposure(tmp_path: Path) -> None:
    assert exposure(_installed_copy(SYSTEM_UNIT, tmp_path)) <= MAX_EXPOSURE


def test_system_unit_contract() -> None:
    d = directives(SYSTEM_UNIT)
    assert d["Type"] == ["notify"] and d["Restart"] == ["on-failure"] and "WatchdogSec" in d
    assert d["DynamicUser"] == ["yes"] and d["SupplementaryGroups"] == ["audio"]
    assert d["StateDirectory"] == ["teddy"] and d["RuntimeDirectory"] == ["teddy"]
    assert d["ProtectSystem"] == ["strict"] and d["ProtectHome"] == ["yes"]
    assert d["PrivateTmp"] == ["yes"] and d["NoNewPrivileges"] == ["yes"]
    assert d["CapabilityBoundingSet"] == [""]
    assert d["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"]
    assert "@system-service" in d["SystemCallFilter"]
    assert d["ExecStart"][0].split()[1:] == ["run"]


def test_user_unit_contract() -> None:
    d = directives(USER_UNIT)
    assert d["Type"] == ["notify"] and d["Restart"] == ["on-failure"] and "WatchdogSec" in d
    assert d["WantedBy"] == ["default.target"]
