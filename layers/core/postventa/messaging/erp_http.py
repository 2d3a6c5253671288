"""POSTing to a seller's ERP over the internet, and nowhere else.

The URL was checked when the seller saved it (domain/erp.py:check_url); here its host is
resolved once and every address must be public (or loopback, where the deployment allows a
local ERP), then the connection goes to that very address, with the host name kept for TLS (SNI,
certificate check) and the Host header. So a name that resolves to a private address, or is
re-pointed between our check and our connect (DNS rebinding), never reaches the instance
metadata service, the Lambda runtime API on 127.0.0.1 or anything else inside.

Redirects are not followed (a 3xx is the ERP's answer). Only the first 2 KiB of an answer are
read, for the delivery log.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from postventa.domain.erp import (
    POST_TIMEOUT_SECONDS,
    InvalidErpUrlError,
    PostResult,
    check_url,
    is_loopback_host,
    is_public_address,
)

_ANSWER_BYTES = 2048
_SNIPPET_CHARS = 200

Resolver = Callable[..., list[tuple[Any, ...]]]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, address: str, timeout: float, tls: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=tls)
        self._tls = tls
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


class AddressNotAllowedError(Exception):
    """The ERP's host resolves to an address we do not send to."""


def allowed_address(
    host: str, port: int, *, allow_loopback: bool, resolve: Resolver = socket.getaddrinfo
) -> str:
    """The address to connect to: every address the host resolves to must be public, or all
    loopback for a loopback host the deployment allows."""
    infos = resolve(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise socket.gaierror("no addresses")
    loopback_host = allow_loopback and is_loopback_host(host)
    for address in addresses:
        ok = is_loopback_host(address) if loopback_host else is_public_address(address)
        if not ok:
            raise AddressNotAllowedError(address)
    return addresses[0]


def _snippet(data: bytes) -> str:
    text = " ".join(data.decode("utf-8", errors="replace").split())
    return text[:_SNIPPET_CHARS]


class HttpErpPoster:
    def __init__(
        self,
        timeout: float = POST_TIMEOUT_SECONDS,
        resolve: Resolver = socket.getaddrinfo,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._timeout = timeout
        self._resolve = resolve
        self._tls = tls  # None: the system's trusted CAs, hostname checked (built on first use)

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, allow_loopback: bool
    ) -> PostResult:
        started = time.monotonic()

        def result(**fields: Any) -> PostResult:
            elapsed = int((time.monotonic() - started) * 1000)
            return PostResult(duration_ms=elapsed, **fields)

        try:
            check_url(url, allow_loopback=allow_loopback)
        except InvalidErpUrlError as exc:
            return result(blocked=True, error=exc.message)
        parts = urlsplit(url)
        host = parts.hostname or ""
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            address = allowed_address(
                host, port, allow_loopback=allow_loopback, resolve=self._resolve
            )
        except AddressNotAllowedError:
            return result(
                blocked=True,
                error="El dominio del ERP apunta a una dirección privada o reservada; usa una "
                "dirección pública.",
            )
        except OSError:
            return result(error="No se encontró el dominio del ERP (DNS).")
        connection: http.client.HTTPConnection
        if https:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            connection = _PinnedHTTPSConnection(host, port, address, self._timeout, self._tls)
        else:
            connection = _PinnedHTTPConnection(host, port, address, self._timeout)
        try:
            connection.request("POST", path, body=body, headers=dict(headers))
            response = connection.getresponse()
            answer = response.read(_ANSWER_BYTES)
        except TimeoutError:
            return result(error=f"El ERP no respondió en {self._timeout:g} s.")
        except ssl.SSLError as exc:
            reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or ""
            return result(error=f"Falló la conexión segura (TLS) con el ERP: {reason}".strip())
        except ConnectionRefusedError:
            return result(error="El ERP rechazó la conexión.")
        except (OSError, http.client.HTTPException) as exc:
            return result(error=f"No se pudo conectar con el ERP ({type(exc).__name__}).")
        finally:
            connection.close()
        status = response.status
        if 200 <= status < 300:
            return result(status_code=status)
        said = _snippet(answer)
        error = f"El ERP respondió HTTP {status}" + (f": {said}" if said else ".")
        return result(status_code=status, error=error)
