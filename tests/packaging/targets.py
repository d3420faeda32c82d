"""The targets of the wheel check: machines, Pythons, glibc tags, the requirement sets, and which
requirements apply to a target (markers evaluated for it, not for this machine)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
MACHINES = ("aarch64", "x86_64")
PYTHONS = ("3.11", "3.12", "3.13")
#: manylinux tags a Raspberry Pi OS bookworm (glibc 2.36) or a current x86 distro accepts
GLIBC_MINORS = (28, 27, 26, 25, 24, 17)

#: packages PyPI ships only as an sdist, on every platform, and why that is acceptable; each is
#: replaced by its Requires-Dist (copied from its PKG-INFO) for the resolution
SDIST_ONLY: dict[str, tuple[str, list[str]]] = {
    "openai-whisper": (
        "openai-whisper 20250625 is published as a pure-Python sdist only (no wheel for any "
        "platform); it builds with setuptools alone, no compiler, on a Pi as on x86",
        [
            "more-itertools",
            "numba",
            "numpy",
            "tiktoken",
            "torch",
            "tqdm",
            'triton>=2; (platform_machine == "x86_64" and sys_platform == "linux") '
            'or sys_platform == "linux2"',
        ],
    ),
}


#: packages checked by the wheel file names PyPI lists (no download): why, and the dependencies of
#: the CPU build a bear installs (from torch 2.13.0+cpu's METADATA). PyPI's linux builds add CUDA
#: runtime wheels (nvidia-* / cuda-toolkit, GPU only); a bear installs the CPU build
#: (`pip install torch --index-url https://download.pytorch.org/whl/cpu`), which has none.
LISTED: dict[str, tuple[str, list[str]]] = {
    "torch": (
        "torch (openai-whisper extra): wheels of 200-900 MB; checked from PyPI's file list",
        [
            "filelock",
            "typing-extensions>=4.10.0",
            "setuptools>=77.0.3",
            "sympy>=1.13.3",
            "networkx>=2.5.1",
            "jinja2",
            "fsspec>=0.8.5",
        ],
    ),
}


def requirement_sets(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, list[str]]:
    """`run` (the dependencies) and each extra added to it (`pip install teddy[extra]`)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    run = list(project["dependencies"])
    sets = {"run": run}
    for extra, reqs in project.get("optional-dependencies", {}).items():
        sets[extra] = run + list(reqs)
    return sets


def target_environment(machine: str, python: str) -> dict[str, str]:
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "os_name": "posix",
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": f"{python}.0",
        "python_version": python,
        "sys_platform": "linux",
    }


def applies(req: Requirement, env: dict[str, str], extras: Iterable[str] = ()) -> bool:
    if req.marker is None:
        return True
    extra_names = list(extras) or [""]
    return any(req.marker.evaluate({**env, "extra": extra}) for extra in extra_names)


@dataclass(frozen=True)
class PurePin:
    """A pinned (==) requirement pip resolved to a pure-Python wheel (*-none-any.whl): the same
    file on every target, so it is resolved once and only its dependencies per target."""

    version: str
    requires_dist: tuple[str, ...]
    requires_python: str


def for_target(
    requirements: Iterable[str],
    env: dict[str, str],
    listed: list[Requirement] | None = None,
    pure: dict[str, PurePin] | None = None,
    reused: set[str] | None = None,
) -> list[str]:
    """The requirements that apply to the target, markers removed, SDIST_ONLY and LISTED ones
    replaced by their dependencies (the LISTED requirement itself goes to `listed`), and so are
    `pure` pins that fit the target (their names go to `reused`)."""
    out: list[str] = []
    for line in requirements:
        req = Requirement(line)
        if not applies(req, env):
            continue
        name = canonicalize_name(req.name)
        pin = (pure or {}).get(name)
        if (
            pin is not None
            and req.specifier.contains(pin.version)
            and SpecifierSet(pin.requires_python).contains(env["python_full_version"])
        ):
            if reused is not None:
                reused.add(name)
            out += for_target(pin.requires_dist, env, listed, pure, reused)
            continue
        if name in SDIST_ONLY:
            out += for_target(SDIST_ONLY[name][1], env, listed, pure, reused)
            continue
        req.marker = None
        if name in LISTED:
            if listed is not None:
                listed.append(req)
            out += for_target(LISTED[name][1], env, listed, pure, reused)
            continue
        out.append(str(req))
    return out


def target_tags(machine: str, python: str) -> set[Tag]:
    py = "cp" + python.replace(".", "")
    platforms = [f"manylinux_2_{m}_{machine}" for m in range(17, max(GLIBC_MINORS) + 1)]
    platforms += [f"manylinux2014_{machine}", f"linux_{machine}", "any"]
    interpreters, abis = [py, "py3", f"py{py[2:]}"], [py, "abi3", "none"]
    return {Tag(i, a, p) for i in interpreters for a in abis for p in platforms}
