"""The engine's shape: parts composed (not inherited), no import cycles, nothing imported from
outside ``processors.engine``, no module over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

from processors import AdvancedAsyncProcessor, ProcessingTask, TaskStatus, create_task
from processors.engine.admission import Admission
from processors.engine.outcomes import Outcomes
from processors.engine.scheduler import Scheduler

ENGINE = Path(__file__).resolve().parents[3] / "processors" / "engine"


def _engine_imports() -> dict[str, set[str]]:
    """Module name -> the modules it imports (TYPE_CHECKING-only imports included)."""
    graph: dict[str, set[str]] = {}
    for path in ENGINE.glob("*.py"):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        graph[f"processors.engine.{path.stem}"] = imported
    return graph


def test_engine_imports_nothing_of_teddy_outside_itself() -> None:
    for module, imported in _engine_imports().items():
        outside = {
            name
            for name in imported
            if name.split(".")[0] in {"processors", "daemon"}
            and not name.startswith("processors.engine")
        }
        assert not outside, f"{module} imports {outside}"


def test_no_import_cycles_between_engine_modules() -> None:
    graph = _engine_imports()
    graph.pop("processors.engine.__init__")  # the package re-exports; modules never import it
    edges = {m: {i for i in deps if i in graph} for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in edges[module]:
            assert state.get(dep) != 1, f"import cycle: {' -> '.join([*path, module, dep])}"
            if dep not in state:
                visit(dep, [*path, module])
        state[module] = 2

    for module in edges:
        if module not in state:
            visit(module, [])


def test_no_engine_module_over_400_lines() -> None:
    for path in ENGINE.glob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 400, f"{path.name}: {lines} lines"


def test_processor_is_composed_of_explicit_parts() -> None:
    proc = AdvancedAsyncProcessor(max_workers=3)
    assert AdvancedAsyncProcessor.__mro__ == (AdvancedAsyncProcessor, object)
    assert isinstance(proc.scheduler, Scheduler)
    assert isinstance(proc.admission, Admission) and isinstance(proc.outcomes, Outcomes)
    # one of each part, shared by whoever uses it
    assert proc.scheduler.admission is proc.admission
    assert proc.scheduler.outcomes is proc.outcomes is proc.admission.outcomes
    assert proc.scheduler.task_manager is proc.task_manager is proc.outcomes.task_manager
    assert proc.scheduler.registry is proc.registry
    assert proc.scheduler.metrics is proc.metrics is proc.outcomes.metrics
    assert proc.scheduler.hooks is proc.hooks is proc.outcomes.hooks
    assert proc.admission.limits is proc.limits
    assert proc.scheduler.contexts is proc.contexts
    for part in (Scheduler, Admission, Outcomes):
        assert part.__mro__ == (part, object)


async def test_running_property_and_retry_policy_forwarding() -> None:
    proc = AdvancedAsyncProcessor(max_workers=1, queue_size=0)
    assert not proc.running and not proc._running
    await proc.start()
    assert proc.running and proc._running
    policy = type(proc.retry_policy)(base_delay=0.0, max_delay=0.0)
    proc.retry_policy = policy
    assert proc.outcomes.retry_policy is policy
    await proc.shutdown()
    assert not proc.running
    assert (await proc.get_performance_metrics())["running"] is False


async def test_async_permission_check_callable_can_refuse() -> None:
    async def only_polite(task: ProcessingTask) -> bool:
        return bool(task.payload.get("polite"))

    proc = AdvancedAsyncProcessor(
        max_workers=1, queue_size=0, permission_check=only_polite, permission_retries=0
    )

    async def work(task: ProcessingTask) -> str:
        return "ok"

    proc.register_processor("work", work)
    await proc.start()
    ok = await proc.submit_task(create_task("work", {"polite": True}))
    no = await proc.submit_task(create_task("work", {}))
    assert (await proc.wait_for_task(ok, timeout=5)).status is TaskStatus.COMPLETED
    assert (await proc.wait_for_task(no, timeout=5)).status is TaskStatus.FAILED
    await proc.shutdown()


def test_ungated_processor_skips_admission() -> None:
    assert not AdvancedAsyncProcessor().admission.gated
    assert AdvancedAsyncProcessor(permission_check=lambda task: True).admission.gated

    class Quota(AdvancedAsyncProcessor):
        async def request_permission(self, task: ProcessingTask) -> bool:
            return True

    assert Quota().admission.gated
