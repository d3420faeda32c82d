"""Every runtime dependency and every extra installs from wheels on linux aarch64 and x86_64,
Python 3.11-3.13 (issue 17): pip resolves them for each target from PyPI's metadata, without ARM
hardware. The slow test needs PyPI; the others check the marker logic offline."""

from __future__ import annotations

import socket
import time

import pytest
from packaging.requirements import Requirement

from tests.packaging import resolve, targets


def test_run_set_and_extras_come_from_pyproject() -> None:
    sets = targets.requirement_sets()
    assert {"run", "piper", "openai-whisper", "base", "dev"} <= set(sets)
    assert all(set(sets["run"]) <= set(reqs) for reqs in sets.values())
    assert any(r.startswith("wordllama==0.2.2.post0") for r in sets["run"])


def test_markers_are_evaluated_for_the_target_not_this_machine() -> None:
    arm = targets.target_environment("aarch64", "3.13")
    x86 = targets.target_environment("x86_64", "3.11")
    reqs = ['triton>=2; platform_machine == "x86_64"', 'setuptools; python_version >= "3.12"']
    assert targets.for_target(reqs, arm) == ["setuptools"]
    assert targets.for_target(reqs, x86) == ["triton>=2"]


def test_sdist_only_package_is_replaced_by_its_dependencies() -> None:
    arm = targets.target_environment("aarch64", "3.11")
    listed: list[Requirement] = []
    reqs = targets.for_target(["openai-whisper==20250625"], arm, listed)
    assert "tiktoken" in reqs and "openai-whisper" not in " ".join(reqs)
    assert not any(r.startswith("triton") for r in reqs)  # x86_64-only dependency
    assert [r.name for r in listed] == ["torch"] and "sympy>=1.13.3" in reqs


def test_listed_package_needs_a_wheel_for_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    files = (
        "torch-2.9.0-cp311-cp311-manylinux_2_28_aarch64.whl",
        "torch-2.9.0-cp313-cp313-manylinux_2_28_x86_64.whl",
        "torch-2.10.0rc1-cp313-cp313-manylinux_2_28_aarch64.whl",
        "torch-2.9.0.tar.gz",
    )
    monkeypatch.setattr(resolve, "index_files", lambda name: files)
    torch = Requirement("torch>=2")
    assert resolve.listed_wheel(torch, "aarch64", "3.11") == "2.9.0"
    assert resolve.listed_wheel(torch, "aarch64", "3.13") is None  # only a pre-release
    assert resolve.listed_wheel(torch, "x86_64", "3.13") == "2.9.0"
    assert resolve.listed_wheel(Requirement("torch>=3"), "x86_64", "3.13") is None


def test_a_dependency_pip_left_out_by_host_markers_is_found() -> None:
    report = {
        "install": [
            {
                "metadata": {
                    "name": "torch",
                    "version": "2.9.0",
                    "requires_dist": [
                        'setuptools; python_version >= "3.12"',
                        'nvidia-cublas; platform_machine == "x86_64"',
                        'opt-einsum; extra == "opt-einsum"',
                        "filelock",
                    ],
                },
                "download_info": {"url": "https://x/torch.whl"},
            },
            {
                "metadata": {"name": "filelock", "version": "3", "requires_dist": []},
                "download_info": {"url": "https://x/filelock.whl"},
            },
        ]
    }
    arm313 = targets.target_environment("aarch64", "3.13")
    assert resolve.missed_by_host_markers(report, arm313) == ["setuptools"]
    x86311 = targets.target_environment("x86_64", "3.11")
    assert resolve.missed_by_host_markers(report, x86311) == ["nvidia-cublas"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_set_resolves_from_wheels_on_aarch64_and_x86_64() -> None:
    try:
        socket.create_connection(("pypi.org", 443), timeout=10).close()
    except OSError as exc:
        pytest.skip(f"PyPI unreachable: {exc}")
    started = time.perf_counter()
    results = resolve.resolve_all(targets.requirement_sets())
    table = resolve.table(results)
    print(f"\n{table}\n{len(results)} resolutions in {time.perf_counter() - started:.0f} s")
    failed = [r for r in results if not r.ok]
    assert not failed, "no wheel for:\n" + "\n".join(
        f"  {r.name} on {r.machine} / Python {r.python}: {', '.join(r.failures)}" for r in failed
    )


def test_pinned_pure_wheel_is_resolved_once_then_only_its_dependencies() -> None:
    pin = targets.PurePin("0.2.1", ("onnxruntime>=1.17", 'pytest; extra == "dev"'), ">=3.10")
    old = targets.PurePin("1.0", ("numpy",), "<3.12")
    reused: set[str] = set()
    env = targets.target_environment("aarch64", "3.13")
    reqs = targets.for_target(
        ["hibari-tts==0.2.1", "old-pkg==1.0", "other==2"],
        env,
        pure={"hibari-tts": pin, "old-pkg": old, "other": pin},
        reused=reused,
    )
    # hibari-tts -> its dependencies; old-pkg does not support 3.13; other's pin is 0.2.1, not 2
    assert reqs == ["onnxruntime>=1.17", "old-pkg==1.0", "other==2"]
    assert reused == {"hibari-tts"}
