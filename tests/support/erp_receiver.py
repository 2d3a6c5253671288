"""A tiny ERP for tests and demos: an HTTP server on 127.0.0.1 that checks each POST's signature
the way docs/formats/erp-webhook.md tells an ERP to, and answers with the status codes a test
scripts. Not part of the product.

    with LocalErp() as erp:
        erp.secret = "pverp_..."          # the secret PUT /api/v1/erp returned
        ... the forwarder POSTs to erp.url ...
        [received] = erp.received
        assert received.verified
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

TOLERANCE_SECONDS = 300


def verify(
    secret: str,
    timestamp: str,
    signature: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """The check the format document gives an ERP (same steps, same order)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False  # too old (or from the future): a replay
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), signature)


def verify_headers(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> bool:
    """`verify` with the timestamp and signature of a request's own headers."""
    return verify(
        secret,
        headers.get("X-Postventa-Timestamp", ""),
        headers.get("X-Postventa-Signature", ""),
        body,
        now=now,
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class LocalErp:
    """Answers `statuses` in order (then 200); `received` lists every POST with its check."""

    def __init__(
        self,
        secret: str = "",
        statuses: list[int] | None = None,
        *,
        port: int = 0,
        lenient: bool = False,
    ) -> None:
        self.secret = secret
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self._lock = threading.Lock()
        erp = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                verified = verify_headers(erp.secret, dict(self.headers), body)
                with erp._lock:
                    erp.received.append(Received(self.path, dict(self.headers), body, verified))
                    status = erp.statuses.pop(0) if erp.statuses else 200
                if not verified and not lenient:
                    status = 401  # what a real ERP does with a bad signature
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/postventa/facturas"

    def __enter__(self) -> LocalErp:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.support.erp_receiver --port 8099 --secret pverp_...`: a local ERP for
    trying the hand-off by hand against `make run`; prints each POST and whether it verified.
    Without --secret it cannot verify, so it answers 200 and says so."""
    import argparse

    parser = argparse.ArgumentParser(description="ERP local de prueba (verifica la firma)")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--secret", default="")
    args = parser.parse_args(argv)
    erp = LocalErp(args.secret, port=args.port, lenient=not args.secret)
    with erp:
        print(f"ERP local en {erp.url} (Ctrl-C para detener)", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.2)
                for received in erp.received[seen:]:
                    body = received.json
                    check = "firma válida" if received.verified else "firma NO válida"
                    if not args.secret:
                        check = "sin verificar (falta --secret)"
                    uuid = (body.get("invoice") or {}).get("uuid", "")
                    print(f"{body.get('event')} {uuid} {check}", flush=True)
                seen = len(erp.received)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
