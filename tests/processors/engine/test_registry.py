"""The plug-in registry: lookup order, entry points, config plug-ins, built-in entry points."""

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
from processors.engine.registry import ProcessorRegistry

PLUGIN_MODULE = """
import asyncio

async def shout(task):
    return task.payload["text"].upper()

async def explode(task):
    raise RuntimeError("plug-in bug")

async def hang(task):
    await asyncio.Event().wait()
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


def _fake_builtin_dist(root: Path, entry_points: str) -> None:
    """An installed-looking distribution standing in for teddy's own (whose ``teddy.processors``
    entry points are the built-in stages)."""
    dist = root / "fake_teddy-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-teddy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{registry.ENTRY_POINT_GROUP}]\n{entry_points}")


@pytest.fixture
def builtin_processor(plugin_path: Path) -> AdvancedAsyncProcessor:
    """A processor whose registry takes ``fake-teddy`` for teddy's distribution."""
    (plugin_path / "teddy_fake_stage.py").write_text(
        "async def process(task):\n    return {'from': 'built-in'}\n"
    )
    _fake_builtin_dist(
        plugin_path,
        "image_generation = teddy_fake_stage:process\n"
        "image_processing = processors.no_such_stage:process\n"
        "loud = teddy_fake_stage:process\n"
        "text_analysis = teddy_fake_stage:process\n",
    )
    return AdvancedAsyncProcessor(
        max_workers=2, queue_size=0, registry=ProcessorRegistry(builtin_distribution="Fake_Teddy")
    )


async def test_builtin_entry_point_is_imported_lazily(
    builtin_processor: AdvancedAsyncProcessor,
) -> None:
    sys.modules.pop("teddy_fake_stage", None)
    async with builtin_processor as proc:
        assert "teddy_fake_stage" not in sys.modules
        assert proc.registry.describe()["image_generation"] == "built-in"
        result = await _run(proc, create_task(ProcessingType.IMAGE_GENERATION, {}))
        assert result.result == {"from": "built-in"}  # type: ignore[attr-defined]
        assert proc.registry.describe()["image_generation"] == "built-in"
    sys.modules.pop("teddy_fake_stage", None)


async def test_missing_builtin_stage_fails_with_clear_error(
    builtin_processor: AdvancedAsyncProcessor,
) -> None:
    async with builtin_processor as proc:
        result = await _run(proc, create_task(ProcessingType.IMAGE_PROCESSING, {}))
        assert result.status is TaskStatus.FAILED  # type: ignore[attr-defined]
        assert "processors.no_such_stage" in result.error  # type: ignore[attr-defined]
        assert "built-in" in result.error  # type: ignore[attr-defined]


async def test_lookup_order_plugin_entry_point_then_config_then_builtin(
    builtin_processor: AdvancedAsyncProcessor,
) -> None:
    """Another distribution's entry point (teddy-test-plugin's ``text_analysis``) beats the
    built-in one; config ``[plugins]`` beats a built-in (``loud``); the built-in is the last
    resort (``image_generation``)."""
    async with builtin_processor as proc:
        proc.load_plugins({"loud": "teddy_test_plugin:shout"})
        described = proc.registry.describe()
        assert described["text_analysis"] == "entry point teddy_test_plugin:shout"
        assert described["loud"] == "config"
        assert described["image_generation"] == "built-in"
        text = await _run(proc, create_task(ProcessingType.TEXT_ANALYSIS, {"text": "ep"}))
        assert text.result == "EP"  # type: ignore[attr-defined]
        loud = await _run(proc, create_task("loud", {"text": "cfg"}))
        assert loud.result == "CFG"  # type: ignore[attr-defined]


def test_default_builtin_distribution_is_teddy() -> None:
    assert ProcessorRegistry().builtin_distribution == "teddy"
    assert registry.ENTRY_POINT_GROUP == "teddy.processors"


async def test_type_without_any_processor(processor: AdvancedAsyncProcessor) -> None:
    result = await _run(processor, create_task("nobody_handles_this", {}))
    assert result.status is TaskStatus.FAILED  # type: ignore[attr-defined]
    assert "register_processor" in result.error  # type: ignore[attr-defined]


def test_register_rejects_non_callables() -> None:
    with pytest.raises(TypeError):
        AdvancedAsyncProcessor().register_processor("x", 42)  # type: ignore[arg-type]
