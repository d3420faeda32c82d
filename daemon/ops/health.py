"""Health model: named checks, their aggregate, and readiness flags.

Components register checks — plain or async callables returning a :class:`Check` — and the HTTP
server evaluates them on every ``/healthz``. The aggregate is the worst state: any ``unhealthy``
check makes the daemon unhealthy, any ``degraded`` one degraded. A check that raises or hangs
counts as unhealthy (we cannot vouch for that part) and never breaks the others.

Readiness is separate: the daemon sets named flags (``models``, ``capture``) once models are loaded
and capture runs; ``/readyz`` answers 200 only when every required flag is set.

Ready-made check factories for the daemon's parts live in :mod:`daemon.ops.health_checks`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

CheckState = Literal["ok", "degraded", "unhealthy"]
HealthStatus = Literal["healthy", "degraded", "unhealthy"]

_RANK: dict[CheckState, int] = {"ok": 0, "degraded": 1, "unhealthy": 2}
_STATUS: dict[CheckState, HealthStatus] = {
    "ok": "healthy",
    "degraded": "degraded",
    "unhealthy": "unhealthy",
}


@dataclass(frozen=True, slots=True)
class Check:
    state: CheckState
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.state not in _RANK:
            raise ValueError(f"check state must be one of {sorted(_RANK)}, got {self.state!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "detail": self.detail, "data": self.data}


CheckFn = Callable[[], Check | Awaitable[Check]]


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: HealthStatus
    checks: dict[str, Check]
    ready: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "ready": self.ready,
            "checks": {name: check.to_dict() for name, check in self.checks.items()},
        }


def worst(states: Iterable[CheckState]) -> HealthStatus:
    top: CheckState = "ok"
    for state in states:
        if _RANK[state] > _RANK[top]:
            top = state
    return _STATUS[top]


class HealthRegistry:
    """Named health checks plus readiness flags.

    ``ready_flags`` names the flags that must all be set for readiness (default: models loaded and
    capture running).
    """

    def __init__(
        self,
        ready_flags: Iterable[str] = ("models", "capture"),
        check_timeout_s: float = 2.0,
    ) -> None:
        self._checks: dict[str, tuple[CheckFn, float]] = {}
        self._flags: dict[str, bool] = dict.fromkeys(ready_flags, False)
        self._timeout = check_timeout_s

    # -- checks -------------------------------------------------------------------------------

    def register(self, name: str, fn: CheckFn, *, timeout_s: float | None = None) -> None:
        """Add (or replace) the check ``name``."""
        if not name:
            raise ValueError("a health check needs a name")
        self._checks[name] = (fn, self._timeout if timeout_s is None else timeout_s)

    def unregister(self, name: str) -> None:
        self._checks.pop(name, None)

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def run_check(self, name: str) -> Check:
        fn, timeout = self._checks[name]
        try:
            async with asyncio.timeout(timeout):
                outcome = fn()
                if inspect.isawaitable(outcome):
                    outcome = await outcome
        except TimeoutError:
            return Check("unhealthy", f"check did not answer within {timeout:g} s")
        except Exception as exc:
            log.exception("health check %s failed", name)
            return Check("unhealthy", f"check failed: {type(exc).__name__}: {exc}")
        if not isinstance(outcome, Check):
            return Check("unhealthy", f"check returned {type(outcome).__name__}, not Check")
        return outcome

    async def evaluate(self) -> HealthReport:
        """Run every check concurrently and fold them into one report."""
        names = list(self._checks)
        results = await asyncio.gather(*(self.run_check(name) for name in names))
        checks = dict(zip(names, results, strict=True))
        return HealthReport(
            status=worst(c.state for c in checks.values()), checks=checks, ready=self.ready
        )

    # -- readiness ----------------------------------------------------------------------------

    def set_ready(self, flag: str, value: bool = True) -> None:
        """Set a readiness flag; an unknown flag becomes required from now on."""
        self._flags[flag] = value

    def require(self, flag: str) -> None:
        """Make ``flag`` required for readiness (unset until :meth:`set_ready`)."""
        self._flags.setdefault(flag, False)

    def waive(self, flag: str) -> None:
        """Stop requiring ``flag`` (e.g. ``capture`` for a daemon started without a microphone)."""
        self._flags.pop(flag, None)

    @property
    def ready(self) -> bool:
        return all(self._flags.values())

    @property
    def flags(self) -> dict[str, bool]:
        return dict(self._flags)
