"""Alerts that reach a phone: one apprise destination per URL in ``alerts.urls`` (ntfy, Pushover,
Telegram, Signal, e-mail, Home Assistant, json://...).

Each URL is its own channel, so the result has one :class:`Delivery` per destination. Sending uses
apprise's ``async_notify`` (its blocking HTTP calls run on apprise's own worker threads, never on
the event loop). A URL apprise does not accept is reported once, in one line, when the stage is
built (at start and on SIGHUP); its channel then fails every send with that reason instead of
taking anything down.

Apprise URLs carry tokens and passwords, so nothing here logs or stores more of a URL than its
scheme: channel names are ``apprise:<scheme>`` (``#2``, ``#3``... for repeats), and a filter on the
``apprise`` logger rewrites every ``scheme://...`` in its messages (also the per-result logs we
quote as errors) to ``scheme://…``.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import apprise

from processors.alerts.channels.base import Delivery

log = logging.getLogger(__name__)

DEFAULT_TITLE = "Teddy: a message about your child"
#: apprise's per-URL retry count when the URL does not say (``?retry=N``); a phone alert about a
#: frightened child is worth two more tries over a flaky Wi-Fi
DEFAULT_RETRY = 2
EXAMPLES = "ntfy://, pover://, tgram://, signal://, mailto://, hassio://, json://"
WIKI = "https://github.com/caronc/apprise/wiki"
_NOTIFY_TYPE = {
    "info": apprise.NotifyType.INFO,
    "warning": apprise.NotifyType.WARNING,
    "urgent": apprise.NotifyType.FAILURE,
}
_URL = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*)://[^\s'\"<>,)]*")
_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("teddy_apprise_quiet", default=False)


def redact(text: str) -> str:
    """Every URL in ``text`` cut down to its scheme: ``ntfy://…``."""
    return _URL.sub(lambda m: f"{m.group(1)}://…", text)


def scheme_of(url: str) -> str:
    return url.partition("://")[0].strip().lower() if "://" in url else ""


class _RedactingFilter(logging.Filter):
    """Keeps secrets in apprise URLs out of the logs; drops apprise's own chatter while we
    validate URLs (we say what is wrong in one line of our own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _quiet.get():
            return False
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("apprise")
    if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
        logger.addFilter(_RedactingFilter())
    # apprise's INFO/DEBUG lines quote request payloads, which hold tokens in some services
    if logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)


_install_log_filter()


def instantiate(url: str) -> tuple[Any | None, str | None]:
    """The apprise service for ``url``, or None and why (without the URL's secrets)."""
    scheme = scheme_of(url)
    if not scheme:
        return None, f"not a URL; write scheme://..., e.g. {EXAMPLES} (all: {WIKI})"
    token = _quiet.set(True)
    try:
        service = apprise.Apprise.instantiate(url)
    except Exception as exc:  # a plugin bug must not stop the daemon
        return None, f"apprise could not load it ({type(exc).__name__})"
    finally:
        _quiet.reset(token)
    if service is not None:
        return service, None
    if scheme not in _known_schemes():
        return None, (
            f"apprise does not know the scheme {scheme}://; it accepts e.g. {EXAMPLES} "
            f"(all: {WIKI})"
        )
    return None, f"not a valid {scheme}:// URL for apprise (see {WIKI} for its form)"


def _known_schemes() -> set[str]:
    from apprise.manager_plugins import NotificationManager

    manager = NotificationManager()  # type: ignore[no-untyped-call]
    return {str(s).lower() for s in manager.schemas()}  # type: ignore[no-untyped-call]


def render(event: dict[str, Any]) -> tuple[str, str, Any]:
    """(title, body, apprise notify type) for an alert event."""
    alerts = event.get("alerts") or []
    severities = {str(a.get("severity", "warning")) for a in alerts}
    worst = next((s for s in ("urgent", "warning", "info") if s in severities), "warning")
    body = "\n".join(str(a.get("message", "")) for a in alerts)
    return str(event.get("title") or DEFAULT_TITLE), body, _NOTIFY_TYPE[worst]


class AppriseChannel:
    """One apprise destination."""

    def __init__(
        self,
        url: str,
        name: str | None = None,
        *,
        position: int = 0,
        timeout_s: float = 20.0,  # inside the alerts step's 30 s (pipeline.timeouts.alerts)
        default_retry: int = DEFAULT_RETRY,
    ) -> None:
        self.name = name or f"apprise:{scheme_of(url) or 'invalid'}"
        self.timeout_s = timeout_s
        self._apprise: apprise.Apprise | None = None
        service, self.problem = instantiate(url)
        if service is None:
            shown = f"{scheme_of(url)}://…" if scheme_of(url) else "(not a URL)"
            log.error("alerts.urls[%d] %s: %s", position, shown, self.problem)
            return
        if not _says_retry(url):
            service.retry = default_retry
        self._apprise = apprise.Apprise(asset=apprise.AppriseAsset(app_id="Teddy"))
        self._apprise.add(service)

    async def send(self, event: dict[str, Any]) -> Delivery:
        if self._apprise is None:
            return Delivery(self.name, False, attempts=0, error=self.problem)
        title, body, notify_type = render(event)
        try:
            result = await self._apprise.async_notify(
                body=body,
                title=title,
                notify_type=notify_type,
                body_format=apprise.NotifyFormat.TEXT,
                timeout=self.timeout_s,
            )
        except Exception as exc:  # apprise reports failures in its result; this is a bug
            return Delivery(self.name, False, error=redact(f"{type(exc).__name__}: {exc}"))
        try:
            services = list(result)
            if not services:
                error = f"apprise: {result.status.name}"
                return Delivery(self.name, False, attempts=0, error=error)
            service = services[0]
            attempts = max(1, len(service))
            if service:
                return Delivery(self.name, True, attempts=attempts)
            return Delivery(self.name, False, attempts=attempts, error=_error_of(service))
        finally:
            result.close()  # apprise may keep long logs in temporary storage until closed


def _says_retry(url: str) -> bool:
    try:
        return "retry" in parse_qs(urlsplit(url).query)
    except ValueError:
        return False


def _error_of(service: Any) -> str:
    messages = [redact(str(e.message)) for e in service.logs() if str(e.message).strip()]
    status = getattr(service.status, "name", "FAILURE")
    return messages[-1] if messages else f"apprise: {status}"


def apprise_channels(urls: Iterable[str]) -> list[AppriseChannel]:
    """One channel per URL, named ``apprise:<scheme>`` and ``apprise:<scheme>#n`` for repeats."""
    listed: Sequence[str] = list(urls)
    totals = Counter(scheme_of(u) or "invalid" for u in listed)
    seen: Counter[str] = Counter()
    channels = []
    for position, url in enumerate(listed):
        scheme = scheme_of(url) or "invalid"
        seen[scheme] += 1
        name = f"apprise:{scheme}" + (f"#{seen[scheme]}" if totals[scheme] > 1 else "")
        channels.append(AppriseChannel(url, name, position=position))
    return channels
