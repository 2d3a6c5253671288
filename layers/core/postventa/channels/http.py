"""Outbound HTTP to the channels' APIs: one client with timeouts, retries with backoff and full
jitter, rate limits that hold across concurrent functions, and 429/Retry-After honoured.

- Timeouts: every attempt has its own (connect and each read, `timeout`), and the whole call a
  budget (`RetryPolicy.budget_seconds`) so a Lambda is never held past what its caller can wait.
- Retries: a network failure before anything was sent, a 429, a 500/502/503/504 are retried
  with exponential backoff and full jitter (AWS Architecture Blog, "Exponential Backoff and
  Jitter"); `Retry-After` (seconds or an HTTP date, RFC 9110 §10.2.3) replaces the backoff when
  it says more. A request that is not idempotent (a message, an upload) is never sent twice on
  a read timeout: whether the channel processed it is unknown, so the caller decides
  (ChannelUncertainError).
- Rate limits: before each attempt a token is taken from the bucket the operation belongs to
  (`Throttle`, a DynamoDB token bucket shared by every function), so two Lambdas sending to
  Amazon together still keep to 1 request per second with bursts of 5.

Errors: ChannelUnavailableError (transient: retry later, the state machine or SQS will),
ChannelAuthError (401/403: the seller's authorization), ChannelApiError (any other answer).
"""

from __future__ import annotations

import email.utils
import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from postventa.errors import TransientError

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses after which the channel certainly did not act on the request (so even a message or
# an upload may be sent again): throttled, or the service said it is unavailable.
NOT_PROCESSED_STATUSES = frozenset({429, 503})


class ChannelHttpError(Exception):
    """Base of what the channel client raises; `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ChannelUnavailableError(ChannelHttpError, TransientError):
    """The channel did not answer usefully within the budget (network, 5xx, throttled): retry
    later. A TransientError, so the state machine's and SQS's retries take over."""

    def __init__(
        self, message: str, *, status: int = 0, body: Any = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after


class ChannelUncertainError(ChannelUnavailableError):
    """A request that must not be repeated blindly (a message, an upload) got no answer: the
    channel may or may not have processed it."""


class ChannelAuthError(ChannelHttpError):
    """401/403 (or an OAuth invalid_grant): the seller's authorization is missing or revoked."""


class ChannelApiError(ChannelHttpError):
    """The channel refused the request (4xx other than auth and throttling)."""

    @property
    def code(self) -> str:
        """The channel's own error code when its body has one (Mercado Libre `error`, Amazon
        `errors[0].code`, Mirakl `message`)."""
        body = self.body if isinstance(self.body, dict) else {}
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("code") or "")
        return str(body.get("error") or body.get("code") or "")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class TransportError(Exception):
    """No HTTP answer. `sent`: the request may have reached the server (a read timeout, a
    reset after sending) as opposed to never leaving (DNS, connection refused)."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class Transport(Protocol):
    def send(self, request: HttpRequest, timeout: float) -> HttpResponse: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A channel API never redirects a client with credentials: a 3xx is answered as is."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrllibTransport:
    """The standard library's HTTP client (no dependency in the Lambda layer)."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        scheme = urllib.parse.urlsplit(request.url).scheme
        if scheme not in ("https", "http"):
            raise TransportError(f"unsupported scheme {scheme!r}", sent=False)
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            request.url, data=request.body, method=request.method, headers=dict(request.headers)
        )
        try:
            with self._opener.open(req, timeout=timeout) as response:
                return HttpResponse(
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    response.read(),
                )
        except urllib.error.HTTPError as exc:
            with exc:
                body = exc.read()
            return HttpResponse(exc.code, {k.lower(): v for k, v in exc.headers.items()}, body)
        except urllib.error.URLError as exc:
            reason = exc.reason
            sent = isinstance(reason, TimeoutError | socket.timeout | ConnectionResetError)
            raise TransportError(str(reason), sent=sent) from None
        except TimeoutError as exc:  # read timeout after the request was sent
            raise TransportError(f"timeout: {exc}", sent=True) from None
        except (ConnectionError, OSError) as exc:
            raise TransportError(str(exc), sent=True) from None


class Throttle(Protocol):
    """A token bucket shared by every function (postventa.domain.ports.Throttle)."""

    def acquire(self, bucket: str, rate_per_second: float, burst: int) -> float: ...


@dataclass(frozen=True)
class RateLimit:
    """A channel's usage plan for a group of operations: `rate` requests per second refilled
    into a bucket of `burst`; `per_account` buckets are per seller, the others per app."""

    rate: float
    burst: int
    per_account: bool = True


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    budget_seconds: float = 20.0
    timeout: float = 5.0
    # A Retry-After longer than this is not waited for in the function: the call fails as
    # transient and the queue or the state machine retries it later.
    max_retry_after: float = 10.0


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, policy: RetryPolicy, rng: Callable[[], float]) -> float:
    """Full jitter: a random wait between 0 and min(cap, base * 2**attempt)."""
    return rng() * min(policy.max_delay, policy.base_delay * (2**attempt))


class ChannelHttp:
    """Sends requests for one channel with the policy above. Responses other than 2xx become
    the typed errors; 2xx come back as HttpResponse."""

    def __init__(
        self,
        channel: str,
        transport: Transport,
        *,
        throttle: Throttle | None = None,
        limits: Mapping[str, RateLimit] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.channel = channel
        self._transport = transport
        self._throttle = throttle
        self._limits = dict(limits or {})
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng

    def _take_token(self, group: str, account: str, deadline: float) -> None:
        limit = self._limits.get(group)
        if limit is None or self._throttle is None:
            return
        scope = account if limit.per_account else "app"
        bucket = f"{self.channel}:{scope}:{group}"
        while True:
            wait = self._throttle.acquire(bucket, limit.rate, limit.burst)
            if wait <= 0:
                return
            if self._monotonic() + wait > deadline:
                raise ChannelUnavailableError(
                    f"{self.channel}: límite de solicitudes de {group} alcanzado",
                    status=429,
                    retry_after=wait,
                )
            self._sleep(wait)

    def send(
        self,
        request: HttpRequest,
        *,
        group: str = "default",
        account: str = "",
        idempotent: bool | None = None,
    ) -> HttpResponse:
        policy = self.policy
        repeatable = (
            request.method in ("GET", "HEAD", "PUT", "DELETE")
            if idempotent is None
            else (idempotent)
        )
        started = self._monotonic()
        deadline = started + policy.budget_seconds
        attempt = 0
        while True:
            self._take_token(group, account, deadline)
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                raise ChannelUnavailableError(f"{self.channel}: sin respuesta a tiempo")
            try:
                response = self._transport.send(request, min(policy.timeout, remaining))
            except TransportError as exc:
                if exc.sent and not repeatable:
                    raise ChannelUncertainError(
                        f"{self.channel}: sin respuesta tras enviar ({exc})"
                    ) from None
                delay = backoff_delay(attempt, policy, self._rng)
                if attempt + 1 >= policy.attempts or self._monotonic() + delay > deadline:
                    raise ChannelUnavailableError(f"{self.channel}: sin conexión ({exc})") from None
            else:
                if 200 <= response.status < 300:
                    return response
                if response.status not in RETRYABLE_STATUSES or (
                    not repeatable and response.status not in NOT_PROCESSED_STATUSES
                ):
                    raise _error_for(self.channel, response)
                delay = backoff_delay(attempt, policy, self._rng)
                asked = retry_after_seconds(response.header("retry-after"))
                if asked is not None:
                    delay = max(delay, asked)
                if (
                    attempt + 1 >= policy.attempts
                    or (asked is not None and asked > policy.max_retry_after)
                    or self._monotonic() + delay > deadline
                ):
                    raise ChannelUnavailableError(
                        f"{self.channel}: respondió {response.status}",
                        status=response.status,
                        body=response.json(),
                        retry_after=asked,
                    )
            attempt += 1
            self._sleep(delay)


def _error_for(channel: str, response: HttpResponse) -> ChannelHttpError:
    body = response.json()
    if response.status in (401, 403):
        return ChannelAuthError(
            f"{channel}: autorización rechazada ({response.status})",
            status=response.status,
            body=body,
        )
    if response.status in RETRYABLE_STATUSES:  # a non-repeatable request answered 5xx
        return ChannelUncertainError(
            f"{channel}: respondió {response.status}", status=response.status, body=body
        )
    return ChannelApiError(
        f"{channel}: respondió {response.status}", status=response.status, body=body
    )


# ---------------------------------------------------------------- request bodies
def json_request(
    method: str, url: str, payload: Any, headers: Mapping[str, str] | None = None
) -> HttpRequest:
    return HttpRequest(
        method,
        url,
        {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
        json.dumps(payload, ensure_ascii=False).encode("utf-8"),
    )


def form_request(
    url: str, fields: Mapping[str, str], headers: Mapping[str, str] | None = None
) -> HttpRequest:
    return HttpRequest(
        "POST",
        url,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            **(headers or {}),
        },
        urllib.parse.urlencode(dict(fields)).encode("ascii"),
    )


@dataclass(frozen=True)
class FilePart:
    field: str
    filename: str
    content_type: str
    data: bytes


def multipart_request(
    url: str,
    files: list[FilePart],
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    boundary: str | None = None,
) -> HttpRequest:
    """multipart/form-data (RFC 7578): text fields, then files."""
    boundary = boundary or f"postventa{random.getrandbits(64):016x}"
    chunks: list[bytes] = []
    for name, value in (fields or {}).items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    for part in files:
        chunks.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{part.field}"; '
                f'filename="{part.filename}"\r\nContent-Type: {part.content_type}\r\n\r\n'
            ).encode()
            + part.data
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return HttpRequest(
        "POST",
        url,
        {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
            **(headers or {}),
        },
        b"".join(chunks),
    )
