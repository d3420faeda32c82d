"""The channel interface: deliver one alert event (a JSON-able dict) and say how it went."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol


@dataclass
class Delivery:
    channel: str
    ok: bool
    attempts: int = 1
    skipped: bool = False  # the channel does not apply here (e.g. no desktop session)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class AlertChannel(Protocol):
    name: str

    async def send(self, event: dict[str, Any]) -> Delivery:
        """Deliver ``event`` (``{"id", "type", "sent_at", "interaction_id", "alerts": [...]}``,
        optionally ``"title"``); never raise for delivery problems, report them in the
        Delivery."""


class UnusableChannel:
    """A configured channel that cannot work (say a bad secret): every send fails with why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    async def send(self, event: dict[str, Any]) -> Delivery:
        return Delivery(self.name, False, attempts=0, error=self.reason)
