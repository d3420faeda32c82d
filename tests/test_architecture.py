"""The layout's rules, checked on the source: no import cycle, the engine knows no stage, stages do
not import each other, no module over 400 lines, built-in stages are entry points, every module
says what it is."""

from __future__ import annotations

import ast
import importlib
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("processors", "daemon")
#: the built-in stage packages; they meet only through the engine and the shared modules
#: (processors/results.py, audio/, embedding.py)
STAGES = ("stt", "emotion", "reply", "speech", "alerts", "enhancement", "memory")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every first-party module ``name`` imports, wherever the import stands (module level,
    inside functions, under TYPE_CHECKING): a cycle through any of them is still a cycle."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if full in MODULES:
                    yield full
                elif module in MODULES:
                    yield module


GRAPH = {name: set(_imports(name, path)) - {name} for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in GRAPH:
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_the_cycle_finder_finds_cycles() -> None:
    saved = dict(GRAPH)
    try:
        GRAPH["processors.engine.task"] = saved["processors.engine.task"] | {"daemon.app"}
        GRAPH["daemon.app"] = saved["daemon.app"] | {"processors.engine.task"}
        assert any({"daemon.app", "processors.engine.task"} <= set(c) for c in _cycles())
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


def test_the_engine_imports_nothing_outside_itself() -> None:
    for name, imported in GRAPH.items():
        if name.startswith("processors.engine"):
            outside = sorted(m for m in imported if not m.startswith("processors.engine"))
            assert outside == [], f"{name} imports {outside}"


def test_processors_never_import_the_daemon() -> None:
    for name, imported in GRAPH.items():
        if name.startswith("processors"):
            assert not [m for m in imported if m.startswith("daemon")], name


def _stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "processors" and parts[1] in STAGES else None


def test_stages_do_not_import_each_other() -> None:
    for name, imported in GRAPH.items():
        own = _stage_of(name)
        if own is None:
            continue
        others = sorted(m for m in imported if _stage_of(m) not in (None, own))
        assert others == [], f"{name} imports another stage: {others}"


def test_no_module_over_400_lines() -> None:
    long = {}
    for folder in (*PACKAGES, "tests", "benchmarks"):
        for path in (REPO / folder).rglob("*.py"):
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines > 400 and "build" not in path.parts:
                long[str(path.relative_to(REPO))] = lines
    assert long == {}


def test_every_module_says_what_it_is() -> None:
    missing = [
        str(path.relative_to(REPO))
        for path in MODULES.values()
        if ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    ]
    assert missing == []


BUILT_IN_TYPES = {
    "audio_transcription",
    "audio_enhancement",
    "emotion_analysis",
    "text_analysis",
    "ai_response",
    "speech",
    "notification",
    "profile_update",
}


def test_built_in_stages_are_declared_as_entry_points() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["entry-points"]["teddy.processors"]
    assert set(declared) == BUILT_IN_TYPES
    for task_type, spec in declared.items():
        module, _, attr = spec.partition(":")
        assert _stage_of(module) is not None, f"{task_type} = {spec} is not a stage package"
        assert callable(getattr(importlib.import_module(module), attr)), spec


@pytest.mark.parametrize("task_type", sorted(BUILT_IN_TYPES))
def test_the_installed_distribution_exposes_them(task_type: str) -> None:
    from importlib.metadata import entry_points

    found = {ep.name: ep for ep in entry_points(group="teddy.processors") if ep.dist is not None}
    assert task_type in found, "reinstall teddy (pip install -e .) to refresh its entry points"
    assert found[task_type].dist.name == "teddy"  # type: ignore[union-attr]
