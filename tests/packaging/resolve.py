"""Resolve teddy's run set and extras for linux aarch64 and x86_64, Python 3.11-3.13, from wheels
only, without ARM hardware (issue 17).

For each target, pip resolves from PyPI's metadata (PEP 658: no whole wheels are downloaded) with
``install --dry-run --ignore-installed --only-binary :all: --platform ... --python-version ...
--report``; ``--isolated`` keeps this machine's pip config (local wheel folders, constraints) out,
so the answer is what a Raspberry Pi gets from PyPI. A package with no wheel for the target makes
pip fail, and its name is reported.

pip evaluates environment markers for the machine it runs on, not the target. So markers are
evaluated here for the target: top-level requirements are filtered before pip sees them, and after
each resolution every resolved package's ``Requires-Dist`` is re-evaluated for the target; a
dependency the target needs but pip left out is resolved in a further pass.

Two kinds of packages are not handed to pip, each documented below with its reason:
``SDIST_ONLY`` (pure-Python sdists, replaced by their declared dependencies) and ``LISTED`` (torch:
its wheels are 200-900 MB, and an index without PEP 658 metadata makes pip download each candidate
whole, several GB per target; its wheel is looked up in the index's file list for the target, and
its dependencies are resolved by pip like any other).

    .venv/bin/python -m tests.packaging.resolve [--machine aarch64] [--python 3.11] [--set piper]
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from tests.packaging.targets import (
    GLIBC_MINORS,
    LISTED,
    MACHINES,
    PYTHONS,
    SDIST_ONLY,
    PurePin,
    applies,
    for_target,
    requirement_sets,
    target_environment,
    target_tags,
)

INDEX = "https://pypi.org/simple"


@functools.cache
def index_files(name: str) -> tuple[str, ...]:
    """The file names the index lists for a project (PEP 691 JSON)."""
    request = urllib.request.Request(
        f"{INDEX}/{canonicalize_name(name)}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        data = json.loads(response.read())
    return tuple(str(f["filename"]) for f in data["files"])


def listed_wheel(req: Requirement, machine: str, python: str) -> str | None:
    """The newest version of `req` with a wheel for the target in the index's list, or None."""
    tags = target_tags(machine, python)
    best: Version | None = None
    for filename in index_files(req.name):
        if not filename.endswith(".whl"):
            continue
        try:
            _, version, _, wheel_tags = parse_wheel_filename(filename)
        except ValueError:
            continue
        if version.is_prerelease or not req.specifier.contains(version):
            continue
        if wheel_tags & tags and (best is None or version > best):
            best = version
    return None if best is None else str(best)


@dataclass
class Resolution:
    name: str
    machine: str
    python: str
    ok: bool = False
    packages: dict[str, str] = field(default_factory=dict)  # name -> version
    failures: list[str] = field(default_factory=list)  # what pip or the marker check named
    sdists: list[str] = field(default_factory=list)  # SDIST_ONLY packages it contains
    listed: dict[str, str] = field(default_factory=dict)  # LISTED package -> version found
    pure: dict[str, PurePin] = field(default_factory=dict)  # pinned pure wheels it resolved
    reused: set[str] = field(default_factory=set)  # pure pins taken from another target
    seconds: float = 0.0
    passes: int = 0


_PIP_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
_PIP_NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement (\S+)")


def pip_resolve(requirements: list[str], machine: str, python: str, report: Path) -> str:
    """Run pip's dry-run resolution; return its stderr ("" on success)."""
    cmd = [sys.executable, "-m", "pip", "--isolated", "install", "--dry-run"]
    cmd += ["--ignore-installed", "--only-binary", ":all:", "--implementation", "cp"]
    cmd += ["--python-version", python, "--target", str(report.parent / "target")]
    for minor in GLIBC_MINORS:
        cmd += ["--platform", f"manylinux_2_{minor}_{machine}"]
    cmd += ["--platform", f"manylinux2014_{machine}", "--report", str(report), "--quiet"]
    proc = subprocess.run(
        [*cmd, *requirements], capture_output=True, text=True, timeout=600, check=False
    )
    return "" if proc.returncode == 0 else (proc.stderr or proc.stdout or "pip failed")


def missed_by_host_markers(
    report: dict[str, object], env: dict[str, str], elsewhere: Iterable[str] = ()
) -> list[str]:
    """Dependencies the target needs (markers evaluated for it) that pip did not resolve
    (`elsewhere`: names checked otherwise, e.g. pure pins)."""
    items = report["install"]
    assert isinstance(items, list)
    have = {canonicalize_name(i["metadata"]["name"]) for i in items} | set(elsewhere)
    missing: list[str] = []
    for item in items:
        extras = item.get("requested_extras") or []
        for line in item["metadata"].get("requires_dist", []):
            req = Requirement(line)
            if req.marker is not None and "extra" in str(req.marker) and not extras:
                continue
            if applies(req, env, extras) and canonicalize_name(req.name) not in have:
                req.marker = None
                missing.append(str(req))
    return sorted(set(missing))


def resolve(
    name: str,
    requirements: list[str],
    machine: str,
    python: str,
    pure: dict[str, PurePin] | None = None,
) -> Resolution:
    env = target_environment(machine, python)
    result = Resolution(name, machine, python)
    result.sdists = sorted(
        {canonicalize_name(Requirement(r).name) for r in requirements} & set(SDIST_ONLY)
    )
    listed: list[Requirement] = []
    reqs = for_target(requirements, env, listed, pure, result.reused)
    pinned = {
        canonicalize_name(r.name)
        for r in map(Requirement, reqs)
        if any(spec.operator == "==" for spec in r.specifier)
    }
    started = time.perf_counter()
    for req in listed:
        version = listed_wheel(req, machine, python)
        if version is None:
            result.failures.append(f"{req} (no wheel listed)")
        else:
            result.listed[canonicalize_name(req.name)] = version
    if result.failures:
        result.seconds = time.perf_counter() - started
        return result
    with tempfile.TemporaryDirectory(prefix="teddy-resolve-") as tmp:
        report_path = Path(tmp) / "report.json"
        for attempt in range(1, 4):
            result.passes = attempt
            error = pip_resolve(reqs, machine, python, report_path)
            if error:
                named = _PIP_NOT_FOUND.findall(error) or _PIP_NO_VERSION.findall(error)
                lines = [ln for ln in error.splitlines() if ln.startswith("ERROR")]
                result.failures = named or lines[-3:] or [error.strip()[-500:]]
                break
            report = json.loads(report_path.read_text(encoding="utf-8"))
            result.packages = {
                canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"]
                for i in report["install"]
            }
            non_wheels = [
                i["metadata"]["name"]
                for i in report["install"]
                if not i["download_info"]["url"].endswith(".whl")
            ]
            if non_wheels:
                result.failures = [f"{n} (not a wheel)" for n in non_wheels]
                break
            result.pure = {
                canonicalize_name(i["metadata"]["name"]): PurePin(
                    i["metadata"]["version"],
                    tuple(i["metadata"].get("requires_dist", [])),
                    i["metadata"].get("requires_python") or "",
                )
                for i in report["install"]
                if canonicalize_name(i["metadata"]["name"]) in pinned
                and i["download_info"]["url"].endswith("-none-any.whl")
            }
            missing = missed_by_host_markers(report, env, result.reused | set(result.listed))
            if not missing:
                result.ok = True
                break
            reqs = sorted(set(reqs) | set(missing))
        else:
            result.failures = [f"markers still unresolved after 3 passes: {missing}"]
    result.seconds = time.perf_counter() - started
    return result


def combined(sets: dict[str, list[str]]) -> tuple[str, list[str]]:
    """One requirement list holding every set (the run set is in each), and its name."""
    reqs: list[str] = []
    for lines in sets.values():
        reqs += [line for line in lines if line not in reqs]
    return "+".join(sets), reqs


def resolve_all(
    sets: dict[str, list[str]],
    machines: Iterable[str] = MACHINES,
    pythons: Iterable[str] = PYTHONS,
    workers: int = 6,
    together: bool = True,
) -> list[Resolution]:
    """Each set for each target. `together`: one resolution of all sets per target (if the union
    resolves from wheels, so does each subset: with --only-binary only wheels are candidates);
    only a target whose union fails is resolved set by set, to name the extra that fails."""
    targets = [(m, p) for m in machines for p in pythons]

    def run(
        jobs: list[tuple[str, list[str], str, str]], pure: dict[str, PurePin] | None = None
    ) -> list[Resolution]:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda job: resolve(*job, pure=pure), jobs))

    if not together or len(sets) == 1:
        return run([(n, r, m, p) for m, p in targets for n, r in sets.items()])
    name, union = combined(sets)
    # the first target alone; the others reuse its pinned pure-Python wheels (model packages of
    # 15-70 MB each, identical on every target) and resolve only their dependencies
    results = run([(name, union, *targets[0])])
    results += run([(name, union, m, p) for m, p in targets[1:]], results[0].pure)
    failed = [(r.machine, r.python) for r in results if not r.ok]
    if failed:
        results += run([(n, r, m, p) for m, p in failed for n, r in sets.items()])
    return results


def table(results: list[Resolution]) -> str:
    rows = ["| set | machine | python | result | packages | time |", "|---|---|---|---|---|---|"]
    for r in results:
        verdict = "wheels only" if r.ok else "FAIL: " + ", ".join(r.failures)
        if r.ok and r.sdists:
            verdict += " + pure-Python sdist " + ", ".join(r.sdists)
        if r.ok and r.reused:
            verdict += f" ({len(r.reused)} pinned pure wheels as on the first target)"
        if r.ok and r.listed:
            verdict += " + " + ", ".join(f"{k} {v} (listed)" for k, v in r.listed.items())
        rows.append(
            f"| {r.name} | {r.machine} | {r.python} | {verdict} | {len(r.packages)} "
            f"| {r.seconds:.1f} s |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", action="append", choices=MACHINES)
    parser.add_argument("--python", action="append", choices=PYTHONS)
    parser.add_argument("--set", action="append", help="run or an extra (default: all)")
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--each", action="store_true", help="resolve each set on its own")
    args = parser.parse_args(argv)
    sets = requirement_sets()
    if args.set:
        sets = {k: v for k, v in sets.items() if k in args.set}
    started = time.perf_counter()
    results = resolve_all(
        sets,
        args.machine or MACHINES,
        args.python or PYTHONS,
        workers=args.workers,
        together=not args.each,
    )
    print(table(results))
    for name in sorted({s for r in results for s in r.sdists}):
        print(f"\nsdist-only, allowed: {name}: {SDIST_ONLY[name][0]}")
    for name in sorted({n for r in results for n in r.listed}):
        print(f"\nnot resolved by pip: {LISTED[name][0]}")
    print(f"\n{len(results)} resolutions in {time.perf_counter() - started:.0f} s")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
