"""Plain HTTP against a running cloud, and waiting for something to happen (e2e, browser)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Response:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Response(resp.status, resp.read(), dict(resp.headers))
    except urllib.error.HTTPError as err:
        return Response(err.code, err.read(), dict(err.headers))


def wait_for(
    predicate: Callable[[], Any], timeout: float = 30.0, what: str = "", every: float = 0.1
) -> Any:
    """Poll until `predicate()` is truthy; its value, or an AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"no llegó a tiempo ({timeout:g} s): {what}")
        time.sleep(every)


_CSRF = re.compile(r'<input type="hidden" name="csrf" value="([0-9a-f]{64})">')


def csrf_of(page_html: str) -> str:
    """The csrf token a billing form page embeds (what a browser posts back)."""
    found = _CSRF.search(page_html)
    assert found, "the page has no csrf field"
    return found.group(1)


def post_form(url: str, page_html: str, data: dict[str, str]) -> Response:
    """Submit the billing form as a browser does: same Origin, the page's csrf token."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    return http(
        "POST",
        url,
        urlencode({**data, "csrf": csrf_of(page_html)}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin},
    )
