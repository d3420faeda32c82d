"""Webhook channel: JSON POST with aiohttp, retried with exponential backoff, signed with
Standard Webhooks (https://www.standardwebhooks.com) so receivers in any language can verify it.

With a secret configured, every attempt carries ``webhook-id`` (the event id, identical across
retries: a receiver drops duplicates by it), ``webhook-timestamp`` (Unix seconds of this attempt)
and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``): a receiver that
checks the timestamp is within its tolerance (the standardwebhooks libraries: 5 minutes) and
remembers ids rejects tampered and replayed requests. The key is a ``whsec_<base64>`` secret as
the standard expects, or any other string, used as its UTF-8 bytes (earlier teddy secrets keep
working; such a receiver passes the key as bytes). The older ``X-Teddy-Signature: sha256=<hex>``
(HMAC of the body alone with the same key, no timestamp) is still sent for receivers written
against it, and ``X-Teddy-Delivery`` is the event id.

Retried: connection errors, timeouts, 408, 429 and 5xx (``Retry-After`` is honoured up to
``max_backoff_s``); other 4xx fail at once because sending the same request again cannot succeed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from standardwebhooks import Webhook

from processors.alerts.channels.base import Delivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Teddy-Signature"
DELIVERY_HEADER = "X-Teddy-Delivery"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
_RETRY_STATUS = frozenset({408, 429})


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret: ``whsec_<base64>`` decoded, anything else as UTF-8 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode()
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise ValueError(
            "alerts.webhook_secret starts with whsec_ but the rest is not base64 key bytes; "
            "write whsec_ + base64 (e.g. whsec_$(openssl rand -base64 32)) or a plain passphrase"
        )
    return key


def sign(secret: str | bytes, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex digest>``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(secret: str | bytes, body: bytes, header: str | None) -> bool:
    """Constant-time check of a signature header (for receivers and tests)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        timeout_s: float = 5.0,
        max_attempts: int = 4,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        headers: dict[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"alerts webhook url {url!r} must be an http:// or https:// URL")
        if max_attempts < 1 or timeout_s <= 0 or backoff_s < 0:
            raise ValueError("alerts webhook: max_attempts >= 1, timeout_s > 0, backoff_s >= 0")
        self.url = url
        self.secret = secret or None
        self._key = signing_key(self.secret) if self.secret is not None else None
        self._clock = clock
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.headers = dict(headers or {})

    def _request_headers(self, body: bytes, event: dict[str, Any]) -> dict[str, str]:
        """Headers of one attempt: each is signed with its own timestamp, so a retry after a
        long backoff is still inside the receiver's tolerance."""
        headers = {"Content-Type": "application/json", "User-Agent": "teddy-alerts", **self.headers}
        event_id = str(event.get("id", ""))
        headers[DELIVERY_HEADER] = event_id
        if self._key is not None:
            headers[SIGNATURE_HEADER] = sign(self._key, body)
            stamp = int(self._clock())
            when = dt.datetime.fromtimestamp(stamp, dt.UTC)
            headers[ID_HEADER] = event_id
            headers[TIMESTAMP_HEADER] = str(stamp)
            headers[STANDARD_SIGNATURE_HEADER] = Webhook(self._key).sign(
                event_id, when, body.decode()
            )
        return headers

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.backoff_s * 2 ** (attempt - 1)
        if retry_after is not None:
            try:
                delay = max(delay, float(retry_after))
            except ValueError:
                pass  # an HTTP date: keep our own backoff
        return float(min(delay, self.max_backoff_s))

    async def send(self, event: dict[str, Any]) -> Delivery:
        body = json.dumps(event, ensure_ascii=False, default=str).encode()
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        error = "not sent"
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for attempt in range(1, self.max_attempts + 1):
                retry_after: str | None = None
                headers = self._request_headers(body, event)
                try:
                    async with session.post(self.url, data=body, headers=headers) as response:
                        if 200 <= response.status < 300:
                            return Delivery(self.name, True, attempts=attempt)
                        error = f"HTTP {response.status}"
                        retry_after = response.headers.get("Retry-After")
                        if response.status < 500 and response.status not in _RETRY_STATUS:
                            return Delivery(self.name, False, attempts=attempt, error=error)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"{type(exc).__name__}: {exc}".rstrip(": ")
                if attempt < self.max_attempts:
                    delay = self._delay(attempt, retry_after)
                    log.info(
                        "alert webhook attempt %d failed (%s); retry in %.1fs",
                        attempt,
                        error,
                        delay,
                    )
                    await asyncio.sleep(delay)
        log.warning("alert webhook gave up after %d attempts: %s", self.max_attempts, error)
        return Delivery(self.name, False, attempts=self.max_attempts, error=error)
