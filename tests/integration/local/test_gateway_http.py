"""The local gateway's HTTP on a real socket: bad framing is answered at once, slow or silent
clients hold no thread, `/_local/` answers only loopback Host names, the access log keeps
secrets out. A recording function stands in for Lambda (no moto needed)."""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.gateway import Gateway
from localcloud.lambda_runtime import InvokeResult
from localcloud.mailbox import Mailbox
from localcloud.specs import HttpRoute

pytestmark = pytest.mark.integration

READ_TIMEOUT = 0.3


class Recorder:
    """Answers every route with the body it got, and remembers each event."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, function: str, event: Any) -> InvokeResult:
        self.events.append(event)
        answer = {"statusCode": 200, "body": json.dumps({"body": event.get("body", "")})}
        return InvokeResult(json.dumps(answer), False, "")


RECORDER = Recorder()


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    routes = [HttpRoute("POST", "/echo", "Echo"), HttpRoute("GET", "/facturar/{token}", "Form")]
    gw = Gateway(
        routes,
        RECORDER,
        port=0,
        mailbox=Mailbox(),
        health=lambda: {"status": "ok"},
        read_timeout=READ_TIMEOUT,
    )
    gw.start()
    yield gw
    gw.stop()


@pytest.fixture
def recorder(gateway: Gateway) -> Iterator[Recorder]:
    RECORDER.events.clear()
    limit = gateway.max_body_bytes
    yield RECORDER
    gateway.max_body_bytes = limit


def exchange(gateway: Gateway, raw: bytes, wait: float = 5.0) -> tuple[bytes, float]:
    """Send raw bytes, read until the gateway closes the connection or `wait` passes: (what
    came back, seconds until the connection closed)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=wait) as conn:
        conn.sendall(raw)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received, time.monotonic() - started


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> Any:
    return json.loads(response.split(b"\r\n\r\n", 1)[1])


def post(headers: str, body: bytes = b"") -> bytes:
    return f"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode() + body


@pytest.mark.parametrize("length", ["abc", "-1", "²", "1, 2", "99999999999999999999999"])
def test_a_content_length_that_is_not_a_byte_count_is_a_400_at_once(
    gateway: Gateway, recorder: Recorder, length: str
) -> None:
    response, took = exchange(gateway, post(f"Content-Length: {length}\r\n", b"{}"))
    assert status_of(response) == 400
    assert body_of(response) == {"message": "Bad Request"}
    assert took < READ_TIMEOUT  # answered, and the connection closed, without waiting
    assert recorder.events == []


def test_two_different_content_lengths_are_a_400(gateway: Gateway) -> None:
    response, _ = exchange(gateway, post("Content-Length: 2\r\nContent-Length: 3\r\n", b"{}"))
    assert status_of(response) == 400


def test_a_client_that_never_sends_the_declared_body_is_let_go_after_the_read_timeout(
    gateway: Gateway, recorder: Recorder
) -> None:
    response, took = exchange(gateway, post("Content-Length: 100\r\n", b"{"))
    assert status_of(response) == 408
    assert READ_TIMEOUT <= took < READ_TIMEOUT + 2  # and the connection was closed
    assert recorder.events == []


def test_an_idle_keep_alive_connection_is_closed_after_the_read_timeout(gateway: Gateway) -> None:
    response, took = exchange(gateway, post("Content-Length: 2\r\n", b"{}"))
    assert status_of(response) == 200  # the answer, then nothing more came: closed
    assert READ_TIMEOUT <= took < READ_TIMEOUT + 2


def test_a_chunked_body_reaches_the_function_whole(gateway: Gateway, recorder: Recorder) -> None:
    chunks = b'4\r\n{"a"\r\n5;ext=1\r\n: 12}\r\n0\r\nX-Trailer: t\r\n\r\n'
    response, _ = exchange(
        gateway, post("Transfer-Encoding: chunked\r\nConnection: close\r\n") + chunks
    )
    assert status_of(response) == 200
    assert body_of(response) == {"body": '{"a": 12}'}
    assert recorder.events[0]["body"] == '{"a": 12}'


@pytest.mark.parametrize(
    "headers, body",
    [
        ("Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n"),  # size is not hex
        ("Transfer-Encoding: chunked\r\n", b"2\r\n{}XX0\r\n\r\n"),  # no CRLF after the data
        ("Transfer-Encoding: gzip\r\n", b"{}"),  # a coding the gateway does not decode
        ("Transfer-Encoding: chunked\r\nContent-Length: 2\r\n", b"2\r\n{}\r\n0\r\n\r\n"),
    ],
)
def test_a_body_whose_framing_is_wrong_or_ambiguous_is_a_400(
    gateway: Gateway, recorder: Recorder, headers: str, body: bytes
) -> None:
    response, _ = exchange(gateway, post(headers, body))
    assert status_of(response) == 400
    assert recorder.events == []


def test_a_chunked_body_that_stops_arriving_is_let_go_after_the_read_timeout(
    gateway: Gateway,
) -> None:
    response, took = exchange(gateway, post("Transfer-Encoding: chunked\r\n", b"10\r\n{"))
    assert status_of(response) == 408
    assert READ_TIMEOUT <= took < READ_TIMEOUT + 2


def test_a_chunked_body_over_the_limit_is_a_413(gateway: Gateway, recorder: Recorder) -> None:
    gateway.max_body_bytes = 8
    response, _ = exchange(gateway, post("Transfer-Encoding: chunked\r\n", b"9\r\n123456789\r\n"))
    assert status_of(response) == 413
    assert recorder.events == []


def test_a_body_without_content_length_is_no_body_and_holds_no_thread(
    gateway: Gateway, recorder: Recorder
) -> None:
    response, took = exchange(gateway, post("", b'{"sneaked": true}'))
    # RFC 9112: neither Content-Length nor Transfer-Encoding means an empty body; the bytes that
    # follow are read as the next request line, which never ends: let go after the read timeout.
    assert status_of(response) == 200 and body_of(response) == {"body": ""}
    assert len(recorder.events) == 1 and "body" not in recorder.events[0]
    assert READ_TIMEOUT <= took < READ_TIMEOUT + 2


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"],
)
@pytest.mark.parametrize("path", ["/_local/mail.json", "/_local/mail", "/_local/health"])
def test_local_routes_answer_loopback_host_names(gateway: Gateway, host: str, path: str) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: {host.format(port=gateway.port)}\r\n"
    response, _ = exchange(gateway, (request + "Connection: close\r\n\r\n").encode())
    assert status_of(response) == 200


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:{port}",  # DNS rebinding: the page's own name, pointed at 127.0.0.1
        "127.0.0.1.nip.io:{port}",
        "localhost:1",  # another port: another server's origin
        "127.0.0.1",  # no port: port 80's origin
        "",
    ],
)
@pytest.mark.parametrize("path", ["/_local/mail.json", "/_local/mail", "/_local/health"])
def test_local_routes_refuse_any_other_host(gateway: Gateway, host: str, path: str) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: {host.format(port=gateway.port)}\r\n"
    response, _ = exchange(gateway, (request + "Connection: close\r\n\r\n").encode())
    assert status_of(response) == 403


def test_two_host_headers_are_refused_on_local_routes(gateway: Gateway) -> None:
    request = (
        f"GET /_local/mail.json HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n"
        "Host: attacker.example\r\nConnection: close\r\n\r\n"
    )
    response, _ = exchange(gateway, request.encode())
    assert status_of(response) == 403


def test_the_access_log_does_not_print_a_form_token(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    token = "Zq3kT9xW2vLmN8pR4sYb6cHd1fGj5aE7uIo0_-Kx"
    request = f"GET /facturar/{token}?email=ana@example.com HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    with caplog.at_level(logging.INFO, logger="localcloud.gateway"):
        exchange(gateway, (request + "Connection: close\r\n\r\n").encode())
        exchange(gateway, f"GET /facturar/{token} HTTP/1.0 extra\r\n\r\n".encode())  # a 400
    lines = "\n".join(record.getMessage() for record in caplog.records)
    assert "/facturar/…_-Kx?email=… HTTP/1.1" in lines
    assert "code 400" in lines  # the bad request line is logged too, masked
    assert token not in lines and token[:20] not in lines
    assert "ana@example.com" not in lines


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /x HTTP/2.0\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    ],
)
def test_a_request_line_that_does_not_parse_is_answered_not_dropped(
    gateway: Gateway, raw: bytes
) -> None:
    response, took = exchange(gateway, raw)
    # An error page (without a status line where the line did not name HTTP/1.x, as HTTP/0.9
    # answers), then the connection closes: before, the gateway dropped it without a word.
    assert re.search(rb"Error code: (400|414|505)", response)
    assert took < READ_TIMEOUT
