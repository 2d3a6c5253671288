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

from postventa.cli.local import DEMO_ML_CART, DEMO_ML_SHIPPING

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
    parser.add_argument(
        "--channel",
        choices=["shopify", "mercadolibre"],
        default="shopify",
        help="shopify: un webhook firmado; mercadolibre: conecta la cuenta por OAuth, vende un "
        "carrito en el Mercado Libre de prueba y sigue la venta hasta la factura subida",
    )
    markets_port = os.environ.get("POSTVENTA_MARKETS_PORT", "3001")
    parser.add_argument(
        "--markets-url",
        default=f"http://127.0.0.1:{markets_port}",
        help="URL de los marketplaces de prueba que levanta `make run`",
    )
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


def submit_billing_form(base: str, form_url: str, step: int) -> None:
    """The buyer opens their link and sends SAT's test fiscal data, as a browser would."""
    _step(step, "El comprador abre el enlace")
    status, page = _http("GET", form_url)
    if status != 200 or b'name="rfc"' not in page:
        raise DemoError(f"El formulario respondió {status}.")
    print(f"    formulario {status}: {len(page):,} bytes de HTML")

    _step(
        step + 1,
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

    submit_billing_form(base, form_url, 3)

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


def _json(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    status, raw = _http(method, url, data, {"Content-Type": "application/json", **(headers or {})})
    if status >= 400:
        raise DemoError(f"{method} {url} respondió {status}: {raw.decode(errors='replace')[:300]}")
    return json.loads(raw or b"null")


def run_mercadolibre_demo(args: argparse.Namespace) -> dict[str, Any]:
    """A Mercado Libre cart from sale to invoice, on the fake Mercado Libre `make run` starts."""
    base, markets = args.url.rstrip("/"), args.markets_url.rstrip("/")
    auth = {"Authorization": f"Bearer {args.api_key}"}
    _step(1, "El vendedor conecta su cuenta de Mercado Libre (OAuth, liga con state firmado)")
    channel = _json("GET", f"{base}/api/v1/channels/mercadolibre", headers=auth)
    if channel.get("status") != "conectada":
        started = _json("POST", f"{base}/api/v1/channels/mercadolibre/authorize", {}, auth)
        print(f"    autoriza en: {started['authorization_url'].split('?')[0]}")
        status, page = _http("GET", started["authorization_url"])  # Mercado Libre redirects back
        if status != 200 or b"conectado" not in page:
            raise DemoError(f"La autorización volvió con {status}.")
        channel = _json("GET", f"{base}/api/v1/channels/mercadolibre", headers=auth)
    print(f"    estado: {channel['status']} (cuenta {channel.get('account_name')})")

    _step(2, "Un comprador paga un carrito de dos productos (dos pedidos, un pack)")
    sale = _json(
        "POST",
        f"{markets}/_fake/mercadolibre/sales",
        {"carts": DEMO_ML_CART, "shipping_cost": DEMO_ML_SHIPPING},
    )
    key = sale["key"]
    print(
        f"    pack {key} con los pedidos {', '.join(map(str, sale['orders']))}; Mercado Libre "
        "notifica orders_v2 por cada pedido"
    )

    _step(
        3,
        "Ingesta: el pedido se consulta con el token del vendedor; el mensaje de facturación "
        "sale por la mensajería posventa",
    )

    def message() -> Any:
        sent = _json("GET", f"{markets}/_fake/mercadolibre/sales/{key}/messages")
        return sent[0] if sent else None

    sent = _wait("el mensaje al comprador", message, args.timeout)
    print(f"    motivo {sent['option_id']}, {len(sent['text'])} caracteres:")
    print("      " + sent["text"].replace("\n", "\n      "))
    link = re.search(r"https?://[^\s]+/facturar/([A-Za-z0-9_-]{20,})", sent["text"])
    if not link:
        raise DemoError("El mensaje llegó sin enlace al formulario de facturación.")
    submit_billing_form(base, f"{base}/facturar/{link.group(1)}", 4)

    _step(6, "Timbrado y entrega: la factura se sube a los documentos fiscales del pack")

    def invoiced() -> Any:
        code, data = _http("GET", f"{base}/api/v1/orders/mercadolibre/{key}", headers=auth)
        order = json.loads(data) if code == 200 else None
        return (
            order
            if order and order.get("status") == "facturada" and order.get("invoice_upload")
            else None
        )

    order = _wait("la factura", invoiced, args.timeout)
    docs = _json("GET", f"{markets}/_fake/mercadolibre/sales/{key}/fiscal_documents")
    print(f"    factura {order['invoice']['uuid']} ({order['invoice']['total']} MXN)")
    print(
        "    en Mercado Libre: " + ", ".join(f"{d['filename']} ({d['size']:,} bytes)" for d in docs)
    )
    print("    Mercado Libre avisa al comprador: no le enviamos otro correo.")
    for event in order.get("history", []):
        print(f"      · {event.get('at', '')}  {event.get('event_type', '')}")
    return order


def _run(args: argparse.Namespace) -> int:
    try:
        if args.channel == "mercadolibre":
            run_mercadolibre_demo(args)
            return 0
        run_demo(args)
    except DemoError as exc:
        print(f"\nError: {exc}", file=sys.stderr)
        return 1
    return 0
