"""Fake marketplaces (Mercado Libre, Amazon SP-API, Mirakl/Liverpool) for running and testing
Postventa with no internet (decision 0016).

Never imported by product code: `postventa local up` starts them beside the local cloud (the
template's local metadata points the channels' base URLs at `${Local::FakeMarketsUrl}`), and the
tests start them in-process. Nothing here imports `postventa`.

    with FakeMarkets() as fake:            # an HTTP server on 127.0.0.1 (port 0: a free one)
        fake.url                           # e.g. http://127.0.0.1:43121
        fake.mercadolibre.add_seller(...)  # set-up and inspection in Python
        fake.handle(method, url, headers, body)  # the same, without a socket (unit tests)

HTTP: /mercadolibre/..., /amazon/..., /liverpool/... answer as the real APIs do; /_fake/{market}/...
are control routes for the demo and the e2e tests (create a sale, read what was sent).
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fakemarkets.amazon import FakeAmazon
from fakemarkets.common import Buckets, Clock, Response, json_response, parse_request
from fakemarkets.mercadolibre import FakeMercadoLibre
from fakemarkets.mirakl import FakeMirakl

__all__ = ["FakeAmazon", "FakeMarkets", "FakeMercadoLibre", "FakeMirakl", "post_json"]


def post_json(url: str, payload: dict[str, Any], timeout: float = 5.0) -> int:
    """POST a notification as a marketplace does; the HTTP status the receiver answered."""
    import json

    request = urllib.request.Request(  # noqa: S310 - a URL the test or operator configured
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "fake-marketplace"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


class FakeMarkets:
    def __init__(
        self,
        *,
        port: int | None = 0,
        notify: Callable[[str, dict[str, Any]], int] | None = post_json,
        amazon_sink: Callable[[str], Any] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.buckets = Buckets(self.clock)
        self.mercadolibre = FakeMercadoLibre(self.clock, self.buckets, notify)
        self.amazon = FakeAmazon(self.clock, self.buckets, amazon_sink)
        self.liverpool = FakeMirakl(self.clock, self.buckets)
        self._markets = {m.prefix: m for m in (self.mercadolibre, self.amazon, self.liverpool)}
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = "http://fake.markets"

    # ---------------------------------------------------------------- dispatch
    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> Response:
        path = url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        if path.startswith("/_fake/"):
            name = "/" + path[len("/_fake/") :].split("/", 1)[0]
            target = self._markets.get(name)
            if target is None:
                return json_response(404, {"error": "no such fake marketplace"})
            request = parse_request(method, path, headers, body or b"", "/_fake" + name)
            request.base_url = self.base_url
            return target.control(request)
        for prefix, market in self._markets.items():
            if path == prefix or path.startswith(prefix + "/"):
                request = parse_request(method, path, headers, body or b"", prefix)
                request.base_url = self.base_url
                return market.handle(request)
        return json_response(404, {"error": "not_found"})

    # ---------------------------------------------------------------- HTTP server
    @property
    def url(self) -> str:
        return self.base_url

    def start(self) -> FakeMarkets:
        if self._port is None:
            return self
        markets = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return None

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                response = markets.handle(self.command, self.path, dict(self.headers), body)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeMarkets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def response_tuple(response: Response) -> tuple[int, dict[str, str], bytes]:
    return response.status, response.headers, response.body
