"""Health line for the parental controls: what the listening gate says and why.

Sleeping, a reached daily limit or waiting for the paw button are the parent's wishes, not faults:
the check stays ``ok`` and names the state. Only a push-to-talk button that cannot be opened is
``degraded`` (the bear cannot hear at all until it is fixed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from daemon.ops.health import Check


def listening_check(status: Callable[[], Mapping[str, Any]]) -> Callable[[], Check]:
    """``status`` is ``ListeningGate.status``."""

    def check() -> Check:
        data = dict(status())
        state = str(data.get("state"))
        reason = str(data.get("reason") or "")
        detail = f"{state}: {reason}" if reason else state
        if data.get("until"):
            detail += f" until {data['until']}"
        if data.get("button_error"):
            return Check("degraded", detail, data)
        return Check("ok", detail, data)

    return check
