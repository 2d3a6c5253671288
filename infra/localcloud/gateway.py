"""Local HTTP API: API Gateway HTTP API (payload format 2.0) in front of in-process handlers,
plus local-only routes under /_local/ (mailbox, health, firing schedules)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localcloud.authorizers import JwtAuthorizers, Unauthorized, www_authenticate
from localcloud.lambda_runtime import InvokeResult
from localcloud.mailbox import Mailbox, render_page
from localcloud.specs import HttpRoute
from localcloud.throttling import RouteThrottles

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
#: A request's body must arrive within this many seconds of its headers, and an idle keep-alive
#: connection is closed after as long: a client that stops sending holds no thread for longer.
READ_TIMEOUT_SECONDS = 10.0
#: Path segments this long of URL-safe characters are treated as secrets in the access log.
OPAQUE_MIN_CHARS = 20
_TEXT_TYPES = re.compile(
    r"^(text/|application/(json|x-www-form-urlencoded|xml|javascript|[\w.+-]*\+json|[\w.+-]*\+xml))",
    re.I,
)


# ---------------------------------------------------------------------- routing
@dataclass
class _Compiled:
    route: HttpRoute
    regex: re.Pattern[str]
    rank: tuple[int, int, int]


def _compile(route: HttpRoute) -> _Compiled:
    if route.path == "$default":
        return _Compiled(route, re.compile(r"^.*$", re.S), (3, 0, 0))
    pattern, params, greedy = "", 0, 0
    for segment in route.path.strip("/").split("/") if route.path != "/" else []:
        m = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
        if m and m.group(2):
            pattern += f"/(?P<{m.group(1)}>.+)"
            greedy += 1
        elif m:
            pattern += f"/(?P<{m.group(1)}>[^/]+)"
            params += 1
        else:
            pattern += "/" + re.escape(segment)
    regex = re.compile("^" + (pattern or "/") + "/?$" if pattern else "^/$")
    # Most specific first: no greedy, fewer params, longer literal path; ANY after exact method.
    return _Compiled(route, regex, (greedy, params, -len(route.path)))


class Router:
    def __init__(self, routes: list[HttpRoute]) -> None:
        compiled = [_compile(r) for r in routes]
        self._routes = sorted(
            compiled, key=lambda c: (c.rank[0], c.rank[1], c.route.method == "ANY", c.rank[2])
        )

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        method = method.upper()
        for c in self._routes:
            if c.route.method not in ("ANY", method):
                continue
            m = c.regex.match(path)
            if m:
                return c.route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None


# ---------------------------------------------------------------------- event and response
def build_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    route: HttpRoute,
    path_params: dict[str, str],
    source_ip: str = "127.0.0.1",
    stage: str = "$default",
    domain: str = "127.0.0.1",
    account_id: str = "123456789012",
    api_id: str = "local",
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event (`authorizer`: what a route's
    authorizer gives the function, requestContext.authorizer)."""
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": stage,
            "time": dt.datetime.now(dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if body:
        content_type = merged.get("content-type", "")
        if content_type == "" or _TEXT_TYPES.match(content_type):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


class BadLambdaResponseError(Exception):
    """The handler's result cannot be turned into an HTTP response."""


def map_response(value: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) from a handler's result, the way HTTP API 2.0 does it."""
    if not (isinstance(value, dict) and "statusCode" in value):
        # Not a structured response: 200 with the value as a JSON body (strings as they are).
        text = value if isinstance(value, str) else json.dumps(value)
        return 200, [("content-type", "application/json")], text.encode("utf-8")
    try:
        status = int(value["statusCode"])
    except (TypeError, ValueError) as exc:
        raise BadLambdaResponseError("statusCode inválido") from exc
    headers: list[tuple[str, str]] = []
    for name, hv in (value.get("headers") or {}).items():
        headers.append((str(name), str(hv)))
    for name, values in (value.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(v)) for v in values)
    for cookie in value.get("cookies") or []:
        headers.append(("set-cookie", str(cookie)))
    body_value = value.get("body")
    if body_value is None:
        body = b""
    elif value.get("isBase64Encoded"):
        body = base64.b64decode(str(body_value))
    else:
        body = (body_value if isinstance(body_value, str) else json.dumps(body_value)).encode()
    if not any(k.lower() == "content-type" for k, _ in headers) and body:
        headers.append(("content-type", "application/json"))
    return status, headers, body


# ---------------------------------------------------------------------- access log
_OPAQUE = re.compile(rf"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{{{OPAQUE_MIN_CHARS},}}(?![A-Za-z0-9_-])")
_QUERY_VALUE = re.compile(r"([?&][^=&\s\"#]*=)[^&\s\"#]+")
_ADDRESS_SEGMENT = re.compile(r"(?<=/)[^/?\s\"]*(?:@|%40)[^/?\s\"]*", re.I)


def mask_secrets(text: str) -> str:
    """An access-log line without what opens or names someone's data.

    A link can be a credential (a billing form token opens the buyer's form) or carry personal
    data (an email in a query). Every query value becomes `…` (its name stays); a path segment
    holding an address (`@`, `%40`) becomes `…`; any other run of OPAQUE_MIN_CHARS or more URL-safe
    characters (tokens, keys, signed ids) keeps only its last 4 after `…`. Why the last 4: two
    lines with the same link stay recognisable as one link (opened, then submitted), while 4
    characters of a 256-bit token leave 232 bits unknown. Generic, so a route added tomorrow is
    covered without naming it here; the cost is that a long readable id is shortened too.
    """
    text = _QUERY_VALUE.sub(r"\1…", text)
    text = _ADDRESS_SEGMENT.sub("…", text)
    return _OPAQUE.sub(lambda m: "…" + m.group(0)[-4:], text)


# ---------------------------------------------------------------------- server
Invoke = Callable[[str, Any], InvokeResult]
FireSchedule = Callable[[str], Any]
Health = Callable[[], dict[str, Any]]

_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::([0-9]{1,5}))?")
_DIGITS = re.compile(r"[0-9]{1,18}")  # str.isdigit() would take "²"
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


def is_loopback_host(host: str | None, port: int) -> bool:
    """Whether a Host header names this machine's loopback at `port` (127.0.0.1, localhost,
    [::1]). A page that rebinds its own domain to 127.0.0.1 still sends its domain here."""
    found = _HOST.fullmatch((host or "").strip())
    if found is None or found.group(1).lower() not in _LOOPBACK_NAMES:
        return False
    given = found.group(2)
    return int(given) == port if given else port == 80


class Gateway:
    """ThreadingHTTPServer on 127.0.0.1 mapping HttpApi routes to in-process handlers."""

    def __init__(
        self,
        routes: list[HttpRoute],
        invoke: Invoke,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        mailbox: Mailbox | None = None,
        fire_schedule: FireSchedule | None = None,
        health: Health | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        authorizers: JwtAuthorizers | None = None,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        self.set_routes(routes)
        self.invoke = invoke
        self.authorizers = authorizers
        self.mailbox = mailbox
        self.fire_schedule = fire_schedule
        self.health = health
        self.max_body_bytes = max_body_bytes
        self.read_timeout = read_timeout
        gateway = self

        class Handler(_RequestHandler):
            owner = gateway
            timeout = read_timeout

        self.server = _Server((host, port), Handler)
        self._thread: threading.Thread | None = None

    def set_routes(self, routes: list[HttpRoute]) -> None:
        """Serve these routes, each with a full token bucket."""
        self.router = Router(routes)
        self.throttles = RouteThrottles(routes)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            # stop() waits for the loop to notice: a tenth of a second, not socketserver's half
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="local-gateway",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Channels open a connection per delivery, many at once: socketserver's default listen
    # backlog of 5 drops the rest of a burst's SYNs, and each dropped one retries after 1 s.
    request_queue_size = 128


class _Refused(Exception):
    """The request cannot be read: answer `status` with API Gateway's message, then close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _RequestHandler(BaseHTTPRequestHandler):
    owner: Gateway
    protocol_version = "HTTP/1.1"
    server_version = "localcloud"
    # Headers and body leave in separate writes; with Nagle on, a keep-alive client's delayed
    # ACK holds the body back ~40 ms per response.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        # The mailbox page and health checks are polled: keep them out of the console. (A request
        # line that did not parse has no path: its error is logged all the same.)
        path = getattr(self, "path", None) or ""
        level = logging.DEBUG if path.startswith("/_local/") else logging.INFO
        log.log(level, "%s %s", self.address_string(), mask_secrets(format % args))

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, doc: Any) -> None:
        body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        self._send(status, [("content-type", "application/json; charset=utf-8")], body)

    # ------------------------------------------------------------------ the body
    def _read_body(self) -> bytes:
        """The body as Content-Length or chunked transfer coding delimit it, read within the
        gateway's read timeout. Raises _Refused for what cannot be read."""
        lengths = self.headers.get_all("content-length") or []
        codings = self.headers.get_all("transfer-encoding") or []
        deadline = time.monotonic() + self.owner.read_timeout
        try:
            if codings:
                # Both, or any coding but chunked alone: the framing is ambiguous (the way
                # requests are smuggled past proxies), so nothing is guessed.
                named = [c.strip().lower() for c in ",".join(codings).split(",")]
                if lengths or named != ["chunked"]:
                    raise _Refused(400, "Bad Request")
                return self._read_chunked(deadline)
            if not lengths:
                return b""  # RFC 9112 6.3: a request with neither has no body
            values = {value.strip() for value in lengths}
            text = values.pop()
            if values or not _DIGITS.fullmatch(text):
                raise _Refused(400, "Bad Request")
            length = int(text)
            if length > self.owner.max_body_bytes:
                raise _Refused(413, "Request Entity Too Large")
            return self._read_exactly(length, deadline)
        except TimeoutError:
            raise _Refused(408, "Request Timeout") from None
        finally:
            with contextlib.suppress(OSError):
                self.connection.settimeout(self.timeout)

    def _remaining(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.connection.settimeout(left)
        return left

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        parts, got = [], 0
        while got < size:
            self._remaining(deadline)
            chunk = self.rfile.read1(min(size - got, 1 << 16))
            if not chunk:  # the client went away mid-body
                raise _Refused(400, "Bad Request")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _read_line(self, deadline: float) -> bytes:
        self._remaining(deadline)
        line = self.rfile.readline(1026)
        if not line.endswith(b"\n"):
            raise _Refused(400, "Bad Request")
        return line

    def _read_chunked(self, deadline: float) -> bytes:
        body = bytearray()
        while True:
            size_text = self._read_line(deadline).split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise _Refused(400, "Bad Request")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > self.owner.max_body_bytes:
                raise _Refused(413, "Request Entity Too Large")
            body += self._read_exactly(size, deadline)
            if self._read_exactly(2, deadline) != b"\r\n":
                raise _Refused(400, "Bad Request")
        while self._read_line(deadline) not in (b"\r\n", b"\n"):
            pass  # trailer fields: not passed on
        return bytes(body)

    # ------------------------------------------------------------------ routing
    def _handle(self) -> None:
        split = urlsplit(self.path)
        raw_path = split.path or "/"
        try:
            body = self._read_body()
        except _Refused as refused:
            self.close_connection = True  # what follows on this connection cannot be framed
            self._json(refused.status, {"message": refused.message})
            return
        if raw_path.startswith("/_local/") or raw_path == "/_local":
            self._local(raw_path, body)
            return
        matched = self.owner.router.match(self.command, raw_path)
        if matched is None:
            self._json(404, {"message": "Not Found"})
            return
        route, params = matched
        if not self.owner.throttles.allow(route):
            self._json(429, {"message": "Too Many Requests"})
            return
        authorizer = None
        if route.authorizer is not None:
            try:
                authorizer = self._authorize(route, split.query)
            except Unauthorized as refused:
                log.info(
                    "%s %s -> 401 (%s)", self.command, mask_secrets(raw_path), refused.description
                )
                self._send(
                    401,
                    [
                        ("content-type", "application/json"),
                        ("www-authenticate", www_authenticate(route, refused.description)),
                    ],
                    b'{"message":"Unauthorized"}',
                )
                return
        host = self.headers.get("host", "127.0.0.1")
        event = build_event(
            method=self.command,
            raw_path=raw_path,
            raw_query=split.query,
            headers=list(self.headers.items()),
            body=body,
            route=route,
            path_params=params,
            source_ip=self.client_address[0],
            domain=host.split(":")[0],
            authorizer=authorizer,
        )
        try:
            result = self.owner.invoke(route.function, event)
            if result.errored:
                raise BadLambdaResponseError("el handler lanzó una excepción")
            status, headers, out = map_response(result.value())
        except Exception:
            log.exception("%s %s -> 502", self.command, mask_secrets(raw_path))
            self._json(502, {"message": "Internal Server Error"})
            return
        self._send(status, headers, out)

    def _authorize(self, route: HttpRoute, raw_query: str) -> dict[str, Any]:
        if self.owner.authorizers is None:  # a gateway without them lets nothing through
            raise Unauthorized("no authorizer is configured on this gateway")
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        return self.owner.authorizers.authorize(route, dict(self.headers.items()), query).context()

    # ------------------------------------------------------------------ /_local/
    def _local(self, path: str, body: bytes) -> None:
        # Every buyer's email and link is here: only this machine, and only under a loopback
        # name (a web page that rebinds its own domain to 127.0.0.1 sends that domain as Host).
        hosts = self.headers.get_all("host") or []
        if (
            self.client_address[0] not in ("127.0.0.1", "::1")
            or len(hosts) != 1
            or not is_loopback_host(hosts[0], self.owner.port)
        ):
            self._json(403, {"message": "Solo desde 127.0.0.1, localhost o [::1]"})
            return
        parts = [p for p in path.split("/") if p][1:]
        mailbox = self.owner.mailbox
        if parts == ["health"] and self.command == "GET":
            self._json(200, self.owner.health() if self.owner.health else {"status": "ok"})
        elif parts == ["mail"] and mailbox is not None:
            page = render_page(mailbox.messages()).encode("utf-8")
            self._send(200, [("content-type", "text/html; charset=utf-8")], page)
        elif parts == ["mail.json"] and mailbox is not None:
            self._json(200, [m.summary() for m in mailbox.messages()])
        elif len(parts) >= 3 and parts[0] == "mail" and mailbox is not None:
            self._mail_part(mailbox, parts[1], parts[2:])
        elif (
            len(parts) == 3
            and parts[0] == "schedules"
            and parts[2] == "fire"
            and self.command == "POST"
            and self.owner.fire_schedule is not None
        ):
            try:
                results = self.owner.fire_schedule(unquote(parts[1]))
            except KeyError:
                self._json(404, {"message": f"Regla desconocida: {unquote(parts[1])}"})
                return
            self._json(200, {"fired": unquote(parts[1]), "results": results})
        else:
            self._json(404, {"message": "Not Found"})

    def _mail_part(self, mailbox: Mailbox, message_id: str, rest: list[str]) -> None:
        message = mailbox.get(message_id)
        if message is None:
            self._json(404, {"message": "Correo no encontrado"})
        elif rest == ["html"] and message.html is not None:
            self._send(200, [("content-type", "text/html; charset=utf-8")], message.html.encode())
        elif rest == ["text"] and message.text is not None:
            self._send(200, [("content-type", "text/plain; charset=utf-8")], message.text.encode())
        elif len(rest) == 2 and rest[0] == "attachments" and rest[1].isdigit():
            index = int(rest[1])
            if index >= len(message.attachments):
                self._json(404, {"message": "Adjunto no encontrado"})
                return
            att = message.attachments[index]
            safe_name = re.sub(r"[^\w.\- ]", "_", att.filename)
            headers = [
                ("content-type", att.content_type),
                ("content-disposition", f'attachment; filename="{safe_name}"'),
            ]
            self._send(200, headers, att.data)
        else:
            self._json(404, {"message": "Not Found"})
