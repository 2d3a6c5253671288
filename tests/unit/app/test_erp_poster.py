"""The ERP poster over real sockets on 127.0.0.1: what it sends, what it makes of each answer,
and where it refuses to connect (private addresses, DNS that changes its mind)."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from postventa.domain.erp import Verdict
from postventa.messaging.erp_http import HttpErpPoster


class Server:
    """Answers each POST with `status` (and `location`), after `delay` seconds."""

    def __init__(self) -> None:
        self.status = 200
        self.answer = b""
        self.delay = 0.0
        self.location = ""
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append((self.path, dict(self.headers), body))
                time.sleep(server.delay)
                self.send_response(server.status)
                if server.location:
                    self.send_header("Location", server.location)
                self.send_header("Content-Length", str(len(server.answer)))
                self.end_headers()
                self.wfile.write(server.answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # The poster hangs up on purpose (timeouts, long answers): not the server's concern.
        self.httpd.handle_error = lambda *_: None  # type: ignore[method-assign]
        self.port = self.httpd.server_address[1]
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


def resolver(address: str) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    return resolve


HEADERS = {"Content-Type": "application/json", "X-Postventa-Signature": "sha256=ab"}


def test_the_body_and_headers_arrive_as_given(server: Server) -> None:
    url = f"http://127.0.0.1:{server.port}/hooks/postventa?source=pv"
    result = HttpErpPoster().post(url, b'{"a":1}', HEADERS, allow_loopback=True)
    assert result.status_code == 200 and result.verdict is Verdict.DELIVERED
    [(path, headers, body)] = server.requests
    assert path == "/hooks/postventa?source=pv" and body == b'{"a":1}'
    assert headers["X-Postventa-Signature"] == "sha256=ab"


def test_an_error_answer_keeps_its_status_and_a_short_snippet(server: Server) -> None:
    server.status, server.answer = 500, b"  Base de datos\n caida " + b"x" * 5000
    result = HttpErpPoster().post(
        f"http://127.0.0.1:{server.port}/", b"{}", HEADERS, allow_loopback=True
    )
    assert result.status_code == 500 and result.verdict is Verdict.RETRY
    assert (result.error or "").startswith("El ERP respondió HTTP 500: Base de datos caida x")
    assert len(result.error or "") < 260


def test_a_redirect_is_an_answer_not_a_hop(server: Server) -> None:
    server.status, server.location = 302, f"http://127.0.0.1:{server.port}/otra"
    result = HttpErpPoster().post(
        f"http://127.0.0.1:{server.port}/", b"{}", HEADERS, allow_loopback=True
    )
    assert result.status_code == 302 and result.verdict is Verdict.PERMANENT
    assert len(server.requests) == 1


def test_a_slow_erp_is_a_timeout_worth_retrying(server: Server) -> None:
    server.delay = 1.0
    result = HttpErpPoster(timeout=0.2).post(
        f"http://127.0.0.1:{server.port}/", b"{}", HEADERS, allow_loopback=True
    )
    assert result.status_code is None and result.verdict is Verdict.RETRY
    assert "no respondió" in (result.error or "")


def test_a_closed_port_is_a_refused_connection_worth_retrying() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = HttpErpPoster().post(f"http://127.0.0.1:{port}/", b"{}", HEADERS, allow_loopback=True)
    assert result.verdict is Verdict.RETRY and "rechazó" in (result.error or "")


def test_this_machine_is_never_contacted_unless_allowed(server: Server) -> None:
    result = HttpErpPoster().post(
        f"http://127.0.0.1:{server.port}/", b"{}", HEADERS, allow_loopback=False
    )
    assert result.blocked and result.verdict is Verdict.PERMANENT
    assert server.requests == []


@pytest.mark.parametrize("address", ["10.0.0.7", "169.254.169.254", "127.0.0.1", "192.168.0.9"])
def test_a_public_name_resolving_to_an_inside_address_is_blocked(address: str) -> None:
    poster = HttpErpPoster(resolve=resolver(address))
    result = poster.post("https://erp.example.com/", b"{}", HEADERS, allow_loopback=True)
    assert result.blocked and "dirección privada" in (result.error or "")


def test_a_name_that_does_not_resolve_is_retried() -> None:
    def fails(*_: Any, **__: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror("Name or service not known")

    result = HttpErpPoster(resolve=fails).post(
        "https://erp.example.com/", b"{}", HEADERS, allow_loopback=False
    )
    assert result.verdict is Verdict.RETRY and "DNS" in (result.error or "")


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(server: Server) -> None:
    poster = HttpErpPoster(resolve=resolver("127.0.0.1"))
    result = poster.post(
        f"http://erp.localhost:{server.port}/in", b"{}", HEADERS, allow_loopback=True
    )
    assert result.status_code == 200
    [(_, headers, _)] = server.requests
    assert headers["Host"] == f"erp.localhost:{server.port}"


# ---------------------------------------------------------------------- TLS
def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize(("served_name", "delivered"), [("erp.localhost", True), ("otro", False)])
def test_https_checks_the_certificate_against_the_name_not_the_address(
    server: Server, tmp_path: Path, served_name: str, delivered: bool
) -> None:
    cert, key = _certificate(tmp_path, served_name)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    server.httpd.socket = served.wrap_socket(server.httpd.socket, server_side=True)
    trusting = ssl.create_default_context(cafile=str(cert))
    poster = HttpErpPoster(resolve=resolver("127.0.0.1"), tls=trusting, timeout=2)
    result = poster.post(
        f"https://erp.localhost:{server.port}/in", b"{}", HEADERS, allow_loopback=True
    )
    if delivered:
        assert result.status_code == 200 and len(server.requests) == 1
    else:
        assert result.verdict is Verdict.RETRY and "TLS" in (result.error or "")
        assert server.requests == []
