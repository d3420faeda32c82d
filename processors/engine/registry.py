"""The plug-in registry: which function processes a task type.

Lookup order: explicit ``register_processor`` > entry point in group ``teddy.processors`` > config
``[plugins]`` (``name = "pkg.module:function"``) > the built-in stage factory. Anything that has to
be imported is imported off the event loop, once, on the first task of that type; a failure fails
that type's tasks with a clear error and never the processor.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import logging
import pkgutil
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from processors.engine.errors import NoProcessorRegistered

from processors.engine.execution import is_async_callable
from processors.engine.task import ProcessingType

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "teddy.processors"

#: task type -> (module, factory) of the built-in stage processors (see docs/architecture.md)
BUILTIN_FACTORIES: dict[str, tuple[str, str]] = {
    ProcessingType.AUDIO_TRANSCRIPTION: ("processors.stt.stage", "create_default"),
    ProcessingType.AUDIO_ENHANCEMENT: ("processors.enhancement.stage", "create_default"),
    ProcessingType.EMOTION_ANALYSIS: ("processors.emotion.stage", "create_default"),
    ProcessingType.TEXT_ANALYSIS: ("processors.emotion.stage", "create_text_analysis_default"),
    ProcessingType.AI_RESPONSE: ("processors.reply.stage", "create_default"),
    ProcessingType.NOTIFICATION: ("processors.alerts.notification", "create_default"),
}

_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


@dataclass(frozen=True)
class Resolved:
    """A processor function and how to run it (detected once, not per task)."""

    fn: Callable[..., Any]
    is_async: bool
    source: str


def resolved(fn: Callable[..., Any], source: str) -> Resolved:
    return Resolved(fn, is_async_callable(fn), source)


class ProcessorRegistry:
    def __init__(self) -> None:
        self.explicit: dict[str, Resolved] = {}
        self._config: dict[str, str] = {}
        self._cache: dict[str, Resolved | NoProcessorRegistered] = {}
        self._entry_points: dict[str, importlib.metadata.EntryPoint] | None = None
        self._lock = asyncio.Lock()

    def register(self, task_type: ProcessingType | str, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"processor for {str(task_type)!r} must be callable, got {fn!r}")
        key = str(task_type)
        if not key:
            raise ValueError("task type must be a non-empty string")
        self.explicit[key] = resolved(fn, "registered")
        self._cache.pop(key, None)

    def unregister(self, task_type: ProcessingType | str) -> None:
        self.explicit.pop(str(task_type), None)
        self._cache.pop(str(task_type), None)

    def load_plugins(self, mapping: Mapping[str, str]) -> None:
        """Accept config ``[plugins]``: task type -> ``"pkg.module:function"``. The format is
        checked now; importing happens on the first task of that type."""
        for name, spec in mapping.items():
            if not isinstance(spec, str) or not _SPEC.match(spec):
                raise ValueError(f"plugins.{name} = {spec!r}: expected 'package.module:function'")
        for name, spec in mapping.items():
            self._config[str(name)] = spec
            self._cache.pop(str(name), None)

    def lookup(self, key: str) -> Resolved | NoProcessorRegistered | None:
        """Fast path: what is already known for ``key`` (None: must ``resolve``)."""
        found = self.explicit.get(key)
        if found is not None:
            return found
        return self._cache.get(key)

    async def resolve(
        self, key: str, executor: Executor | None = None
    ) -> Resolved | NoProcessorRegistered:
        async with self._lock:  # two first tasks of a type must not import twice
            known = self.lookup(key)
            if known is not None:
                return known
            outcome = await asyncio.get_running_loop().run_in_executor(executor, self._load, key)
            if isinstance(outcome, NoProcessorRegistered):
                log.error("%s", outcome)
            self._cache[key] = outcome
            return outcome

    def _load(self, key: str) -> Resolved | NoProcessorRegistered:
        """Runs in a thread: imports may be slow (model libraries)."""
        tried: list[str] = []
        if self._entry_points is None:
            try:
                eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
                self._entry_points = {ep.name: ep for ep in eps}
            except Exception as exc:  # a broken installed distribution must not stop us
                log.warning("cannot list %s entry points: %s", ENTRY_POINT_GROUP, exc)
                self._entry_points = {}
        ep = self._entry_points.get(key)
        if ep is not None:
            try:
                return self._checked(ep.load(), f"entry point {ep.value}")
            except Exception as exc:
                return _failure(key, f"entry point {ep.name} = {ep.value!r}", exc)
        spec = self._config.get(key)
        if spec is not None:
            try:
                return self._checked(pkgutil.resolve_name(spec), f"plugin {spec}")
            except Exception as exc:
                return _failure(key, f"[plugins] {key} = {spec!r}", exc)
        factory = BUILTIN_FACTORIES.get(key)
        if factory is not None:
            module_name, attr = factory
            try:
                module = importlib.import_module(module_name)
                return self._checked(getattr(module, attr)(), f"built-in {module_name}.{attr}")
            except Exception as exc:
                return _failure(key, f"built-in stage {module_name}.{attr}()", exc)
        tried.append("register_processor, entry points, [plugins], built-in stages")
        return NoProcessorRegistered(
            f"no processor for task type {key!r} (looked in {', '.join(tried)}); "
            "register one with processor.register_processor(type, fn)"
        )

    @staticmethod
    def _checked(fn: Any, source: str) -> Resolved:
        if not callable(fn):
            raise TypeError(f"{source} is not callable ({type(fn).__name__})")
        return resolved(fn, source)

    def describe(self) -> dict[str, str]:
        """Task type -> where its processor comes from (for ``teddy doctor`` and logs)."""
        out = dict.fromkeys(BUILTIN_FACTORIES, "built-in")
        out.update(dict.fromkeys(self._config, "config"))
        out.update({k: v.source for k, v in self._cache.items() if isinstance(v, Resolved)})
        out.update(dict.fromkeys(self.explicit, "registered"))
        return out


def _failure(key: str, source: str, exc: Exception) -> NoProcessorRegistered:
    error = NoProcessorRegistered(
        f"processor for task type {key!r} from {source} could not be loaded: "
        f"{type(exc).__name__}: {exc}"
    )
    error.__cause__ = exc
    return error
