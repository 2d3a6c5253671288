"""What the fake marketplaces share: the request/response shape, JSON errors, multipart parsing,
token buckets and the clock."""

from __future__ import annotations

import email.parser
import email.policy
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str  # below the marketplace's prefix, e.g. /orders/123
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str = ""  # the fake server's own URL (for links it hands out)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, doc: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status,
        json.dumps(doc, ensure_ascii=False).encode("utf-8"),
        {"content-type": "application/json", **(headers or {})},
    )


def parse_request(
    method: str, url: str, headers: dict[str, str], body: bytes, prefix: str
) -> Request:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    path = parts.path[len(prefix) :] if parts.path.startswith(prefix) else parts.path
    return Request(
        method.upper(), path or "/", query, {k.lower(): v for k, v in headers.items()}, body
    )


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def multipart(request: Request) -> list[Part] | None:
    """The parts of a multipart/form-data body, or None when it is not one."""
    content_type = request.header("content-type")
    if (
        not content_type.lower().startswith("multipart/form-data")
        or "boundary=" not in content_type
    ):
        return None
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    if not message.is_multipart():
        return None
    parts = []
    for part in message.iter_parts():
        disposition = part.get("content-disposition", "")
        params = dict(part.get_params(header="content-disposition") or [])
        name = params.get("name") or ""
        payload = part.get_payload(decode=True)
        parts.append(
            Part(
                name=str(name),
                filename=params.get("filename"),
                content_type=part.get_content_type(),
                data=payload if isinstance(payload, bytes) else b"",
            )
        )
        del disposition
    return parts


class Clock:
    """The fakes' time; tests move it to make tokens expire without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class Buckets:
    """Token buckets, as the real APIs' usage plans: `take` is False when the bucket is empty."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, rate: float, burst: int) -> bool:
        with self._lock:
            now = self._clock.now()
            tokens, at = self._state.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - at) * rate)
            if tokens < 1:
                self._state[key] = (tokens, now)
                return False
            self._state[key] = (tokens - 1, now)
            return True


def token(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(16)}"


Sink = Callable[[str, dict[str, Any]], Any]
