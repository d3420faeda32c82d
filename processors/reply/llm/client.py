"""A thin streaming client over the official ``anthropic`` SDK (``AsyncAnthropic``).

Measured facts of the installed SDK (2.12, on ``httpx2``) that shape this module:
- it retries 408/409/429/5xx/529 and connection errors with 0.5 s * 2^n backoff, but honours
  ``retry-after`` without any cap; a middleware here clamps that header on every attempt, so
  retries stay short and the caller's overall deadline (``asyncio.timeout``) stays meaningful;
- ``timeout=`` bounds each read, not the call: the caller owns the overall deadline;
- once a stream has started, failures arrive as raw ``httpx2`` errors, not ``anthropic`` ones;
- ``import anthropic`` costs ~0.9 s, so it happens on first use, not at module import.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx2

if TYPE_CHECKING:
    import anthropic

log = logging.getLogger(__name__)

#: offline reasons (the ``offline_reason`` of an ai_response result)
UNAUTHORIZED = "unauthorized"
TIMEOUT = "timeout"
API_ERROR = "api_error"
MALFORMED = "malformed"
NO_API_KEY = "no_api_key"
RATE_LIMITED = "rate_limited"  # 429: the account's limit; waiting helps
OVERLOADED = "overloaded"  # 529 (or an overloaded_error event): Anthropic's side is busy
UNREACHABLE = "unreachable"  # no connection at all: network down, DNS, refused


class LLMError(Exception):
    """The model gave no usable reply; ``reason`` is one of the offline reasons above."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def classify_error(exc: BaseException) -> str:
    """Map an exception from a call or a stream onto an offline reason."""
    import anthropic

    if isinstance(exc, LLMError):
        return exc.reason
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return UNAUTHORIZED
    if isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException | TimeoutError):
        return TIMEOUT
    if isinstance(exc, anthropic.APIResponseValidationError | json.JSONDecodeError):
        return MALFORMED
    if isinstance(exc, anthropic.RateLimitError):
        return RATE_LIMITED
    if _error_type(exc) == "overloaded_error" or getattr(exc, "status_code", None) == 529:
        return OVERLOADED
    if isinstance(exc, anthropic.APIConnectionError | httpx2.ConnectError | ConnectionError):
        return UNREACHABLE
    if isinstance(exc, anthropic.APIError | httpx2.HTTPError):
        return API_ERROR
    # anything else the SDK raised while parsing a body (KeyError, pydantic ValueError...)
    return MALFORMED


def _error_type(exc: BaseException) -> str | None:
    """The ``error.type`` of an API error body (``overloaded_error``, ``rate_limit_error``...)."""
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return kind if isinstance(kind, str) else None


def _retry_after_cap(max_retry_after_s: float) -> anthropic.AsyncMiddlewareCallable:
    """A middleware clamping ``retry-after``/``retry-after-ms`` so a retry never sleeps for long."""

    async def cap_retry_after(
        request: anthropic.APIRequest, call_next: anthropic.AsyncCallNext
    ) -> anthropic.AsyncAPIResponse[Any]:
        response = await call_next(request)
        headers = response.http_response.headers
        for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
            value = headers.get(name)
            if value is None:
                continue
            try:
                seconds = float(value) / scale
            except ValueError:
                seconds = max_retry_after_s  # an HTTP date or garbage: use the cap
            if not seconds <= max_retry_after_s:  # also catches NaN
                log.info("llm: capping %s %r to %.1f s", name, value, max_retry_after_s)
                headers[name] = f"{max_retry_after_s * scale:g}"
        return response

    return cap_retry_after


class ClaudeClient:
    """Streams the text of one reply; raises ``LLMError`` or the SDK's/``httpx2``'s errors."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        max_tokens: int,
        base_url: str | None = None,
        read_timeout_s: float = 10.0,
        max_retries: int = 2,
        max_retry_after_s: float = 2.0,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("ClaudeClient needs a non-empty api_key")
        self.model = model
        self.max_tokens = max_tokens
        self._api_key = api_key
        self._base_url = base_url
        self._read_timeout_s = read_timeout_s
        self._max_retries = max_retries
        self._max_retry_after_s = max_retry_after_s
        self._http_client = http_client
        self._client: anthropic.AsyncAnthropic | None = None

    def _sdk(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            import anthropic

            # an explicit api_key keeps the SDK from reading profiles or other env credentials
            self._client = anthropic.AsyncAnthropic(
                api_key=self._api_key,
                base_url=self._base_url,
                timeout=anthropic.Timeout(
                    self._read_timeout_s, connect=min(5.0, self._read_timeout_s)
                ),
                max_retries=self._max_retries,
                http_client=self._http_client,
                middleware=[_retry_after_cap(self._max_retry_after_s)],
            )
        return self._client

    @property
    def ready(self) -> bool:
        """Whether the SDK is imported and the client built (``preload`` done)."""
        return self._client is not None

    def preload(self) -> None:
        """Import the SDK and build the client now (off the event loop: the import is slow)."""
        self._sdk()

    async def stream_text(
        self, system: str, messages: Sequence[dict[str, str]]
    ) -> AsyncIterator[str]:
        """Yield the reply's text deltas as they arrive.

        Raises ``LLMError(MALFORMED)`` when the stream ends without a proper ``message_stop`` or
        without any text, and ``LLMError(API_ERROR)`` for an ``error`` event in the stream.
        """
        import anthropic

        client = self._sdk()
        saw_text = False
        stopped = False
        async with client.messages.stream(
            model=self.model,
            max_tokens=self.max_tokens,
            system=system,
            messages=[{"role": m["role"], "content": m["content"]} for m in messages],  # type: ignore[misc]
        ) as stream:
            try:
                async for event in stream:
                    kind = getattr(event, "type", None)
                    if kind == "text":
                        text = getattr(event, "text", "")
                        if text:
                            saw_text = True
                            yield text
                    elif kind == "message_stop":
                        stopped = True
                    elif kind == "error":
                        raise LLMError(API_ERROR, f"error event in stream: {event!r}")
            except (anthropic.APIConnectionError, httpx2.TransportError, ConnectionError) as exc:
                # The stream had opened, so the server was reachable: a connection lost mid-reply
                # is the API's failure (the SDK reports it either way, depending on timing).
                if isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException):
                    raise
                raise LLMError(API_ERROR, f"connection lost mid-reply: {exc}") from exc
        if not stopped:
            raise LLMError(MALFORMED, "the stream ended without message_stop")
        if not saw_text:
            raise LLMError(MALFORMED, "the reply had no text")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
