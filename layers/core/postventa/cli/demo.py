"""`postventa demo`: post a sample paid order to the running stack and narrate what happens.

It talks to the stack only over HTTP, as Shopify and a buyer would: the signed webhook, the local
mailbox (/_local/mail.json), the billing form and the seller API.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DEMO_FISCAL_DATA = {
    "rfc": "EKU9003173C9",
    "nombre": "Escuela Kemper Urgate S.A. de C.V.",
    "regimen_fiscal": "601",
    "codigo_postal": "42501",
    "uso_cfdi": "G03",
    "email": "compras@kemper.example",
}


class DemoError(Exception):
    """A step failed; the message says what a person should do."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo",
        help="envía un pedido pagado de ejemplo al stack local y muestra cada paso",
        description="Envía un pedido pagado de Shopify firmado al stack en marcha (make run) y "
        "sigue el recorrido: webhook, correo al comprador, formulario, datos fiscales, estado.",
    )
    port = os.environ.get("POSTVENTA_PORT", "3000")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}", help="URL del stack local")
    parser.add_argument("--tenant", default="demo")
    parser.add_argument(
        "--secret",
        default=os.environ.get("POSTVENTA_DEMO_SECRET") or "demo-secret",
        help="secreto de firma de webhooks del tenant (POSTVENTA_DEMO_SECRET)",
    )
    parser.add_argument(
        "--api-key", default=os.environ.get("POSTVENTA_DEMO_API_KEY") or "demo-api-key"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="segundos por paso")
    parser.set_defaults(func=_run)


def _http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - operator-given URL
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except urllib.error.URLError as err:
        raise DemoError(
            f"No hay respuesta en {url} ({err.reason}). ¿Está corriendo `make run`?"
        ) from err


def _step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}", flush=True)


def _wait(what: str, probe: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    live = sys.stdout.isatty()
    spinner = "|/-\\"
    started = time.monotonic()
    i = 0
    if not live:
        print(f"    esperando {what}...", flush=True)
    while time.monotonic() < deadline:
        value = probe()
        if value:
            if live:
                print("\r" + " " * 60 + "\r", end="", flush=True)
            print(f"    listo en {time.monotonic() - started:.1f} s")
            return value
        if live:
            print(f"\r    esperando {what} {spinner[i % 4]}", end="", flush=True)
        i += 1
        time.sleep(0.25)
    print()
    raise DemoError(f"No llegó {what} en {timeout:.0f} s.")


def run_demo(args: argparse.Namespace) -> dict[str, Any]:
    from postventa.services.demo import sample_orders_paid, shopify_webhook_request

    base = args.url.rstrip("/")
    order_id = 7_000_000 + secrets.randbelow(1_000_000)
    body = sample_orders_paid(order_id)
    number = body["name"]
    raw, headers = shopify_webhook_request(body, args.secret)

    _step(1, f"Shopify envía orders/paid del pedido {number} a /webhooks/shopify/{args.tenant}")
    started = time.perf_counter()
    status, resp = _http("POST", f"{base}/webhooks/shopify/{args.tenant}", raw, headers)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise DemoError(f"El webhook respondió {status}: {resp.decode(errors='replace')}")
    print(f"    acuse {status} en {elapsed:.0f} ms; el pedido quedó en la cola de pedidos")

    _step(2, "Ingesta (SQS) -> pedido en DynamoDB -> ciclo de vida (Step Functions) -> correo")

    def mail() -> Any:
        code, data = _http("GET", f"{base}/_local/mail.json")
        if code != 200:
            return None
        found = [m for m in json.loads(data) if number in (m.get("subject") or "")]
        return found[0] if found else None

    message = _wait("el correo al comprador", mail, args.timeout)
    text = (message.get("text") or "") + (message.get("html") or "")
    link = re.search(r"https?://[^\s\"'<>]+/facturar/([A-Za-z0-9_-]{20,})", text)
    if not link:
        raise DemoError("El correo llegó sin enlace al formulario de facturación.")
    form_url = f"{base}/facturar/{link.group(1)}"
    print(f"    para: {', '.join(message.get('to') or [])}")
    print(f"    asunto: {message.get('subject')}")
    print(f"    enlace: {link.group(0)}")
    print(f"    (el buzón local está en {base}/_local/mail)")

    _step(3, "El comprador abre el enlace")
    status, page = _http("GET", form_url)
    if status != 200 or b'name="rfc"' not in page:
        raise DemoError(f"El formulario respondió {status}.")
    print(f"    formulario {status}: {len(page):,} bytes de HTML")

    _step(
        4,
        f"El comprador envía sus datos fiscales (RFC {DEMO_FISCAL_DATA['rfc']}, de prueba del SAT)",
    )
    # As the buyer's browser: the page's own csrf token, posted from the page's origin.
    csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', page)
    if not csrf:
        raise DemoError("El formulario no trae su token de seguridad (csrf).")
    form = urllib.parse.urlencode({**DEMO_FISCAL_DATA, "csrf": csrf.group(1).decode()}).encode()
    status, page = _http(
        "POST",
        form_url,
        form,
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": base},
    )
    if status != 200:
        raise DemoError(f"El envío del formulario respondió {status}.")
    print(f"    confirmación {status}")

    _step(5, "Factura: folio, sello con el CSD, timbre del PAC de pruebas (sandbox), PDF")
    auth = {"Authorization": f"Bearer {args.api_key}"}
    order_url = f"{base}/api/v1/orders/shopify/{order_id}"

    def settled() -> Any:
        code, data = _http("GET", order_url, headers=auth)
        order = json.loads(data) if code == 200 else None
        done = ("facturada", "error", "correccion", "sin_folios")
        return order if order and order.get("status") in done else None

    order = _wait("la factura", settled, args.timeout)
    if order["status"] != "facturada":
        reason = order.get("error_reason") or order.get("status")
        raise DemoError(f"El pedido quedó en «{order['status']}»: {reason}")
    invoice = order["invoice"]
    print(f"    folio fiscal (UUID): {invoice['uuid']}")
    serie_folio = f"{invoice['serie']}-{invoice['folio']}"
    print(f"    serie y folio: {serie_folio}, total {invoice['total']} {invoice['currency']}")
    if invoice.get("test_stamp"):
        print("    timbre de pruebas: SIN VALIDEZ FISCAL (el PDF y el correo lo dicen)")

    _step(6, "El comprador recibe su factura por correo")

    def invoice_mail() -> Any:
        code, data = _http("GET", f"{base}/_local/mail.json")
        if code != 200:
            return None
        found = [
            m
            for m in json.loads(data)
            if number in (m.get("subject") or "") and m.get("attachments")
        ]
        return found[0] if found else None

    delivered = _wait("el correo con la factura", invoice_mail, args.timeout)
    print(f"    para: {', '.join(delivered.get('to') or [])}")
    print(f"    asunto: {delivered.get('subject')}")
    for item in delivered["attachments"]:
        print(f"    adjunto: {item['filename']} ({item['content_type']}, {item['size']:,} bytes)")
    links = invoice.get("descargas") or {}
    if links.get("pdf"):
        print(f"    PDF para el vendedor (la liga vence en minutos): {links['pdf']}")

    _step(7, "El historial del pedido en la API del vendedor")
    code, data = _http("GET", order_url, headers=auth)
    order = json.loads(data) if code == 200 else order
    print(f"    estado: {order['status']}")
    for event in order.get("history", []):
        print(f"      · {event.get('at', '')}  {event.get('event_type', '')}")
    print(
        "\nListo: cada salto fue el real (gateway, SQS, DynamoDB, Step Functions, SES, S3); "
        "el timbre, del PAC de pruebas."
    )
    return order


def _run(args: argparse.Namespace) -> int:
    try:
        run_demo(args)
    except DemoError as exc:
        print(f"\nError: {exc}", file=sys.stderr)
        return 1
    return 0
