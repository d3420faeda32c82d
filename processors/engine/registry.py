"""The plug-in registry: which function processes a task type.

Lookup order: explicit ``register_processor`` > an entry point in group ``teddy.processors`` of any
other distribution (users' plug-ins) > config ``[plugins]`` (``name = "pkg.module:function"``) > an
entry point of teddy's own distribution (the built-in stages, declared in its pyproject.toml), so a
user can replace a built-in stage without touching teddy. The engine names no stage module itself.
Anything that has to be imported is imported off the event loop, once, on the first task of that
type; a failure fails that type's tasks with a clear error and never the processor.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import pkgutil
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

from processors.engine.errors import NoProcessorRegistered
from processors.engine.execution import Resolved, is_async_callable, resolved
from processors.engine.task import ProcessingTask, ProcessingType

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "teddy.processors"
#: the distribution whose entry points are the built-in stages
BUILTIN_DISTRIBUTION = "teddy"

CUSTOM = ProcessingType.CUSTOM.value

_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")

EntryPoint = importlib.metadata.EntryPoint


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Teddy_Bear`` == ``teddy-bear``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


class ProcessorRegistry:
    def __init__(self, builtin_distribution: str = BUILTIN_DISTRIBUTION) -> None:
        """``builtin_distribution``: whose ``teddy.processors`` entry points are the built-ins
        (looked up last); every other distribution's entry points are plug-ins (looked up
        before config ``[plugins]``)."""
        self.builtin_distribution = normalized(builtin_distribution)
        self.explicit: dict[str, Resolved] = {}
        self._config: dict[str, str] = {}
        self._cache: dict[str, Resolved | NoProcessorRegistered] = {}
        #: entry points by task type: of other distributions, and of the built-in one
        self._plugins: dict[str, EntryPoint] | None = None
        self._builtins: dict[str, EntryPoint] | None = None
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

    async def for_task(
        self, task: ProcessingTask, executor: Executor | None = None
    ) -> Resolved | NoProcessorRegistered:
        """The processor of ``task``: a CUSTOM task may carry its own, ``payload["processor"]``
        (called with the payload); any other is looked up (and loaded) by type."""
        key = task.type_key
        if key == CUSTOM:
            fn = task.payload.get("processor")
            if callable(fn):
                return Resolved(lambda t: fn(t.payload), is_async_callable(fn), "payload")
        found = self.lookup(key)
        if found is None:
            found = await self.resolve(key, executor)
        if key == CUSTOM and isinstance(found, NoProcessorRegistered):
            return NoProcessorRegistered(
                "CUSTOM task needs payload['processor'] to be a callable taking the payload"
            )
        return found

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

    def _scan(self) -> tuple[dict[str, EntryPoint], dict[str, EntryPoint]]:
        """The ``teddy.processors`` entry points, split into plug-ins and built-ins (listed once:
        installing a plug-in takes a restart)."""
        if self._plugins is None or self._builtins is None:
            plugins: dict[str, EntryPoint] = {}
            builtins: dict[str, EntryPoint] = {}
            try:
                eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
            except Exception as exc:  # a broken installed distribution must not stop us
                log.warning("cannot list %s entry points: %s", ENTRY_POINT_GROUP, exc)
                eps = importlib.metadata.EntryPoints()
            for ep in eps:
                dist = ep.dist.name if ep.dist is not None else ""
                own = bool(dist) and normalized(dist) == self.builtin_distribution
                table = builtins if own else plugins
                if ep.name in table:
                    log.warning(
                        "%s entry point %r of %s ignored: %s already provides it",
                        ENTRY_POINT_GROUP, ep.name, dist or "?", table[ep.name].value,
                    )  # fmt: skip
                    continue
                table[ep.name] = ep
            self._plugins, self._builtins = plugins, builtins
        return self._plugins, self._builtins

    def _load(self, key: str) -> Resolved | NoProcessorRegistered:
        """Runs in a thread: imports may be slow (model libraries)."""
        plugins, builtins = self._scan()
        ep = plugins.get(key)
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
        ep = builtins.get(key)
        if ep is not None:
            try:
                return self._checked(ep.load(), "built-in")
            except Exception as exc:
                return _failure(key, f"built-in stage {ep.name} = {ep.value!r}", exc)
        return NoProcessorRegistered(
            f"no processor for task type {key!r} (looked in register_processor, "
            f"{ENTRY_POINT_GROUP} entry points, [plugins], built-in stages); "
            "register one with processor.register_processor(type, fn)"
        )

    @staticmethod
    def _checked(fn: Any, source: str) -> Resolved:
        if not callable(fn):
            raise TypeError(f"{source} is not callable ({type(fn).__name__})")
        return resolved(fn, source)

    def describe(self) -> dict[str, str]:
        """Task type -> where its processor comes from (for ``teddy doctor`` and logs), in lookup
        order: ``registered``, ``entry point pkg.mod:fn``, ``config``, ``built-in``."""
        plugins, builtins = self._scan()
        out = dict.fromkeys(builtins, "built-in")
        out.update(dict.fromkeys(self._config, "config"))
        out.update({name: f"entry point {ep.value}" for name, ep in plugins.items()})
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
