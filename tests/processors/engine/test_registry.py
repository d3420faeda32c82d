"""The plug-in registry: lookup order, entry points, config plug-ins, built-in factories."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from processors import (
    AdvancedAsyncProcessor,
    ProcessingTask,
    ProcessingType,
    TaskStatus,
    create_task,
)
from processors.engine import registry

PLUGIN_MODULE = """
import asyncio

async def shout(task):
    return task.payload["text"].upper()

async def explode(task):
    raise RuntimeError("plug-in bug")

async def hang(task):
    await asyncio.Event().wait()

def create_default():
    async def stage(task):
        return {"from": "factory"}
    return stage
"""


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module and an installed-looking distribution with a ``teddy.processors`` entry point."""
    (tmp_path / "teddy_test_plugin.py").write_text(PLUGIN_MODULE)
    dist = tmp_path / "teddy_test_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: teddy-test-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[teddy.processors]\nshout = teddy_test_plugin:shout\n"
        "text_analysis = teddy_test_plugin:shout\nbroken_ep = no_such_module_xyz:thing\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("teddy_test_plugin", None)


async def _run(proc: AdvancedAsyncProcessor, task: ProcessingTask) -> object:
    return await proc.wait_for_task(await proc.submit_task(task), timeout=10)


async def test_entry_point_plugin_runs(
    processor: AdvancedAsyncProcessor, plugin_path: Path
) -> None:
    result = await _run(processor, create_task("shout", {"text": "hi"}))
    assert result.result == "HI"  # type: ignore[attr-defined]
    assert processor.registry.describe()["shout"].startswith("entry point")


async def test_explicit_registration_beats_entry_point(
    processor: AdvancedAsyncProcessor, plugin_path: Path
) -> None:
    async def mine(task: ProcessingTask) -> str:
        return "explicit"

    processor.register_processor(ProcessingType.TEXT_ANALYSIS, mine)
    result = await _run(processor, create_task(ProcessingType.TEXT_ANALYSIS, {"text": "x"}))
    assert result.result == "explicit"  # type: ignore[attr-defined]


async def test_entry_point_beats_config_and_config_plugins_load(
    processor: AdvancedAsyncProcessor, plugin_path: Path
) -> None:
    processor.load_plugins(
        {"shout": "teddy_test_plugin:explode", "loud": "teddy_test_plugin:shout"}
    )
    assert (await _run(processor, create_task("shout", {"text": "a"}))).result == "A"  # type: ignore[attr-defined]
    assert (await _run(processor, create_task("loud", {"text": "b"}))).result == "B"  # type: ignore[attr-defined]


def test_bad_plugin_spec_rejected_at_once() -> None:
    with pytest.raises(ValueError, match=r"package\.module:function"):
        AdvancedAsyncProcessor().load_plugins({"x": "not a spec"})


async def test_broken_plugins_fail_only_their_task(
    processor: AdvancedAsyncProcessor, plugin_path: Path
) -> None:
    processor.load_plugins(
        {
            "raises": "teddy_test_plugin:explode",
            "hangs": "teddy_test_plugin:hang",
            "missing": "teddy_missing_plugin_xyz:fn",
        }
    )
    raised = await _run(processor, create_task("raises", {}))
    assert raised.status is TaskStatus.FAILED and "plug-in bug" in raised.error  # type: ignore[attr-defined]
    hung = await _run(processor, create_task("hangs", {}, timeout=0.05))
    assert hung.status is TaskStatus.TIMEOUT  # type: ignore[attr-defined]
    missing = await _run(processor, create_task("missing", {}))
    assert missing.status is TaskStatus.FAILED  # type: ignore[attr-defined]
    assert "teddy_missing_plugin_xyz" in missing.error  # type: ignore[attr-defined]
    broken_ep = await _run(processor, create_task("broken_ep", {}))
    assert "no_such_module_xyz" in broken_ep.error  # type: ignore[attr-defined]
    assert (await processor.get_performance_metrics())["plugin_errors"] == 3

    async def fine(task: ProcessingTask) -> str:
        return "daemon still fine"

    processor.register_processor("fine", fine)
    assert (await _run(processor, create_task("fine", {}))).result == "daemon still fine"  # type: ignore[attr-defined]


async def test_builtin_factory_is_imported_lazily(
    processor: AdvancedAsyncProcessor, plugin_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        registry.BUILTIN_FACTORIES, "image_generation", ("teddy_test_plugin", "create_default")
    )
    assert "teddy_test_plugin" not in sys.modules
    result = await _run(processor, create_task(ProcessingType.IMAGE_GENERATION, {}))
    assert result.result == {"from": "factory"}  # type: ignore[attr-defined]


async def test_missing_builtin_stage_fails_with_clear_error(
    processor: AdvancedAsyncProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        registry.BUILTIN_FACTORIES,
        "image_processing",
        ("processors.no_such_stage", "create_default"),
    )
    result = await _run(processor, create_task(ProcessingType.IMAGE_PROCESSING, {}))
    assert result.status is TaskStatus.FAILED  # type: ignore[attr-defined]
    assert "processors.no_such_stage" in result.error  # type: ignore[attr-defined]


async def test_type_without_any_processor(processor: AdvancedAsyncProcessor) -> None:
    result = await _run(processor, create_task("nobody_handles_this", {}))
    assert result.status is TaskStatus.FAILED  # type: ignore[attr-defined]
    assert "register_processor" in result.error  # type: ignore[attr-defined]


def test_register_rejects_non_callables() -> None:
    with pytest.raises(TypeError):
        AdvancedAsyncProcessor().register_processor("x", 42)  # type: ignore[arg-type]
