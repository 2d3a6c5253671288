"""Local HTTP API: API Gateway HTTP API (payload format 2.0) in front of in-process handlers,
plus local-only routes under /_local/ (mailbox, health, firing schedules)."""

from __future__ import annotations

import base64
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

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
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


# ---------------------------------------------------------------------- server
Invoke = Callable[[str, Any], InvokeResult]
FireSchedule = Callable[[str], Any]
Health = Callable[[], dict[str, Any]]


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
    ) -> None:
        self.router = Router(routes)
        self.invoke = invoke
        self.authorizers = authorizers
        self.mailbox = mailbox
        self.fire_schedule = fire_schedule
        self.health = health
        self.max_body_bytes = max_body_bytes
        gateway = self

        class Handler(_RequestHandler):
            owner = gateway

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="local-gateway", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _RequestHandler(BaseHTTPRequestHandler):
    owner: Gateway
    protocol_version = "HTTP/1.1"
    server_version = "localcloud"
    # Headers and body leave in separate writes; with Nagle on, a keep-alive client's delayed
    # ACK holds the body back ~40 ms per response.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        # The mailbox page and health checks are polled: keep them out of the console.
        level = logging.DEBUG if self.path.startswith("/_local/") else logging.INFO
        log.log(level, "%s %s", self.address_string(), format % args)

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

    def _handle(self) -> None:
        split = urlsplit(self.path)
        raw_path = split.path or "/"
        length = int(self.headers.get("content-length") or 0)
        if length > self.owner.max_body_bytes:
            self.close_connection = True
            self._json(413, {"message": "Request Entity Too Large"})
            return
        body = self.rfile.read(length) if length else b""
        if raw_path.startswith("/_local/") or raw_path == "/_local":
            self._local(raw_path, body)
            return
        matched = self.owner.router.match(self.command, raw_path)
        if matched is None:
            self._json(404, {"message": "Not Found"})
            return
        route, params = matched
        authorizer = None
        if route.authorizer is not None:
            try:
                authorizer = self._authorize(route, split.query)
            except Unauthorized as refused:
                log.info("%s %s -> 401 (%s)", self.command, raw_path, refused.description)
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
            log.exception("%s %s -> 502", self.command, raw_path)
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
        if self.client_address[0] not in ("127.0.0.1", "::1"):
            self._json(403, {"message": "Solo desde 127.0.0.1"})
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
