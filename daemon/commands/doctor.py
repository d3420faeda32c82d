"""`teddy doctor`: check PortAudio, devices, models, TTS, DB, API key and config; say what to do.

One line per check: ``ok``, ``warn`` (works, but not fully: e.g. offline replies) or ``FAIL`` (the
daemon cannot do its job); exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from daemon.config import TeddyConfig
    from daemon.ops.doctor_checks import DoctorCheck, Finding


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check PortAudio, devices, models, TTS, DB, API key, config; exit 1 on any failure",
        description=(
            "Check every dependency of the daemon and print one line per check (ok, warn or "
            "FAIL) with what to do. Exit status 1 when anything failed."
        ),
    )
    parser.add_argument("--config", metavar="PATH", help="config file to check")
    parser.set_defaults(func=run)


def format_finding(finding: Finding) -> str:
    line = f"{finding.level:<5} {finding.name:<28} {finding.detail}"
    return f"{line} -> {finding.fix}" if finding.fix and finding.level != "ok" else line


def diagnose(config: TeddyConfig, checks: Iterable[DoctorCheck]) -> list[Finding]:
    from daemon.ops.doctor_checks import Finding

    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check(config))
        except Exception as exc:
            # A broken check is itself a finding; the remaining checks still run.
            name = check.__name__.removeprefix("check_").replace("_", " ")
            findings.append(Finding("FAIL", name, f"check crashed: {type(exc).__name__}: {exc}"))
    return findings


def report(findings: Sequence[Finding], out: TextIO) -> int:
    for finding in findings:
        print(format_finding(finding), file=out)
    fails = sum(f.level == "FAIL" for f in findings)
    warns = sum(f.level == "warn" for f in findings)
    oks = len(findings) - fails - warns
    print(f"teddy doctor: {oks} ok, {warns} warning(s), {fails} failure(s)", file=out)
    return 1 if fails else 0


def run(args: argparse.Namespace, checks: Sequence[DoctorCheck] | None = None) -> int:
    from daemon.config import TeddyConfig, load_config_with_source
    from daemon.ops.doctor_checks import ALL_CHECKS, Finding

    try:
        config, source = load_config_with_source(args.config)
        loaded = Finding("ok", "config", f"{source}: valid")
    except Exception as exc:
        config = TeddyConfig()
        loaded = Finding(
            "FAIL", "config", str(exc), "fix the key named above; other checks use the defaults"
        )
    findings = [loaded, *diagnose(config, ALL_CHECKS if checks is None else checks)]
    return report(findings, sys.stdout)
