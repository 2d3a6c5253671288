"""Entry points in the unit tier: each handler parses, calls its service with the adapters
`bootstrap()` gives (fakes here) and maps the outcome to what API Gateway returns."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from postventa.channels.base import sign_base64_hmac
from postventa.domain.clock import epoch
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.events import LambdaContext, http_event, load_function
from tests.support.fakes import FakeAdapters
from tests.support.http import csrf_of

PUBLIC = "https://facturas.example.test"


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant())
    fake.tenants.put_api_key("tienda", "clave-tienda")
    fake.secrets.put("tienda", {"shopify": {"webhook_secret": "s3creto"}})
    return fake


@pytest.fixture
def handler(adapters: FakeAdapters) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    loaded: dict[str, Any] = {}

    def call(name: str, event: dict[str, Any]) -> dict[str, Any]:
        if name not in loaded:
            module = load_function(name)
            module.bootstrap = lambda: adapters
            loaded[name] = module
        result: dict[str, Any] = loaded[name].handler(event, LambdaContext(function_name=name))
        return result

    return call


@pytest.fixture
def token(adapters: FakeAdapters) -> str:
    order = builders.order()
    adapters.orders.add(order)
    return adapters.links.create(
        order.ref, task_token="tt", expires_at=epoch(adapters.clock.now()) + 3600
    )


def form(token: str, method: str = "GET", data: dict[str, str] | None = None, **headers: str):
    body = urlencode(data).encode() if data is not None else b""
    if data is not None and "csrf" not in data:
        raise AssertionError("a post needs the page's csrf token: use post()")
    return http_event(
        method,
        f"/facturar/{token}",
        body=body,
        headers={"content-type": "application/x-www-form-urlencoded", **headers},
        route="/facturar/{token}",
        path_params={"token": token},
        base64_body=bool(body),
    )


def post(handler: Any, token: str, data: dict[str, str], **headers: str) -> dict[str, Any]:
    """GET the form, then POST `data` with that page's csrf token, as a browser does."""
    page = handler("billing_form", form(token))["body"]
    csrf = csrf_of(page) if 'name="csrf"' in page else ""
    return handler("billing_form", form(token, "POST", {**data, "csrf": csrf}, **headers))


# ---------------------------------------------------------------- billing form
def test_the_form_page_is_html_that_cannot_be_framed_or_cached(handler: Any, token: str) -> None:
    page = handler("billing_form", form(token))
    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"].startswith("text/html")
    assert page["headers"]["X-Frame-Options"] == "DENY"
    assert page["headers"]["Cache-Control"] == "no-store"
    html = page["body"]
    assert "Taza de barro" in html and "$599.00 MXN" in html
    for field in ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "email"):
        assert f'name="{field}"' in html
    assert 'value="comprador@example.com"' in html


def test_a_rejected_form_comes_back_with_each_error_and_the_values_kept(
    handler: Any, token: str
) -> None:
    bad = {**VALID_FORM, "rfc": "EKU9003173C8", "codigo_postal": "123"}
    page = post(handler, token, bad, origin=PUBLIC)
    assert page["statusCode"] == 422
    assert "dígito verificador" in page["body"] and "5 dígitos" in page["body"]
    assert 'value="ESCUELA KEMPER URGATE"' in page["body"]


def test_valid_data_is_confirmed_with_the_order_and_a_masked_email(
    handler: Any, token: str
) -> None:
    page = post(handler, token, VALID_FORM, origin=PUBLIC)
    assert page["statusCode"] == 200
    assert "Recibimos tus datos" in page["body"] and "<dd>#1001</dd>" in page["body"]
    assert "<dd>co*****@kemper.example</dd>" in page["body"]
    assert VALID_FORM["email"] not in page["body"]
    later = handler("billing_form", form(token))
    assert "Ya habíamos recibido tus datos" in later["body"] and 'name="rfc"' not in later["body"]


def test_a_cross_site_post_is_forbidden(handler: Any, token: str) -> None:
    page = post(handler, token, VALID_FORM, origin="https://evil.example")
    assert page["statusCode"] == 403 and "Solicitud rechazada" in page["body"]
    referred = post(handler, token, VALID_FORM, referer="https://evil.example/pagina")
    assert referred["statusCode"] == 403
    no_header = post(handler, token, VALID_FORM)  # neither Origin nor Referer: not a page
    assert no_header["statusCode"] == 403
    assert post(handler, token, VALID_FORM, referer=f"{PUBLIC}/facturar/x")["statusCode"] == 200


def test_unknown_and_expired_links_get_friendly_pages(
    handler: Any, token: str, adapters: FakeAdapters
) -> None:
    unknown = handler("billing_form", form("x" * 43))
    assert unknown["statusCode"] == 404 and "No encontramos este enlace" in unknown["body"]
    adapters.clock.advance(hours=2)
    expired = handler("billing_form", form(token))
    assert expired["statusCode"] == 410 and "venció" in expired["body"]


def test_the_form_page_allows_only_its_own_inline_script(handler: Any, token: str) -> None:
    page = handler("billing_form", form(token))
    csp = page["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert "<script>" in page["body"] and "<script src" not in page["body"]


# ---------------------------------------------------------------- self-invoice portal
def portal(
    method: str = "GET",
    data: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    **headers: str,
) -> dict[str, Any]:
    body = urlencode(data).encode() if data is not None else b""
    return http_event(
        method,
        "/facturar",
        body=body,
        headers={"content-type": "application/x-www-form-urlencoded", **headers},
        route="/facturar",
        base64_body=bool(body),
        cookies=cookies,
    )


def portal_cookie(response: dict[str, Any]) -> str:
    [cookie] = response["cookies"]
    return cookie.split(";")[0]


def test_the_portal_page_sets_a_strict_http_only_token_cookie_its_form_echoes(
    handler: Any,
) -> None:
    page = handler("billing_form", portal())
    assert page["statusCode"] == 200 and "Factura tu compra" in page["body"]
    [cookie] = page["cookies"]
    attributes = {a.strip().split("=")[0] for a in cookie.split(";")[1:]}
    assert {"Path", "HttpOnly", "SameSite", "Secure", "Max-Age"} <= attributes
    assert "SameSite=Strict" in cookie and "Path=/facturar" in cookie
    value = portal_cookie(page).split("=", 1)[1]
    assert f'name="csrf" value="{value}"' in page["body"]
    assert 'value="tienda" selected' in page["body"]  # the only store is chosen already


def test_the_portal_redirects_a_match_to_a_fresh_link(handler: Any, token: str) -> None:
    cookie = portal_cookie(handler("billing_form", portal()))
    csrf = cookie.split("=", 1)[1]
    data = {"tienda": "tienda", "pedido": "1001", "total": "$599.00", "csrf": csrf}
    found = handler("billing_form", portal("POST", data, [cookie], origin=PUBLIC))
    assert found["statusCode"] == 303
    location = found["headers"]["Location"]
    assert location.startswith("/facturar/") and location != f"/facturar/{token}"
    opened = handler("billing_form", form(location.rsplit("/", 1)[1]))
    assert opened["statusCode"] == 200 and "Taza de barro" in opened["body"]

    wrong = handler(
        "billing_form", portal("POST", {**data, "total": "598"}, [cookie], origin=PUBLIC)
    )
    unknown = handler(
        "billing_form", portal("POST", {**data, "pedido": "7777"}, [cookie], origin=PUBLIC)
    )
    assert wrong["statusCode"] == unknown["statusCode"] == 404
    assert "No encontramos un pedido con esos datos" in wrong["body"]
    assert wrong["body"].replace("598", "599.00") == unknown["body"].replace(
        "7777", "1001"
    ).replace("$599.00", "599.00")


def test_the_portal_refuses_a_post_without_its_cookie_or_from_another_site(
    handler: Any, token: str
) -> None:
    cookie = portal_cookie(handler("billing_form", portal()))
    data = {"tienda": "tienda", "pedido": "1001", "total": "599", "csrf": cookie.split("=")[1]}
    no_cookie = handler("billing_form", portal("POST", data, origin=PUBLIC))
    assert no_cookie["statusCode"] == 403 and "Solicitud rechazada" in no_cookie["body"]
    assert no_cookie["cookies"]  # a fresh token, so reopening the page works
    other_site = handler(
        "billing_form", portal("POST", data, [cookie], origin="https://evil.example")
    )
    assert other_site["statusCode"] == 403


def test_the_portal_answers_429_with_retry_after_once_guessing_is_limited(
    handler: Any, token: str
) -> None:
    from postventa.services.self_invoice import MAX_FAILURES_PER_ADDRESS

    cookie = portal_cookie(handler("billing_form", portal()))
    data = {"tienda": "tienda", "pedido": "1001", "total": "1", "csrf": cookie.split("=")[1]}
    for _ in range(MAX_FAILURES_PER_ADDRESS):
        handler("billing_form", portal("POST", data, [cookie], origin=PUBLIC))
    limited = handler("billing_form", portal("POST", data, [cookie], origin=PUBLIC))
    assert limited["statusCode"] == 429
    assert int(limited["headers"]["Retry-After"]) > 0
    assert "Demasiados intentos" in limited["body"]


# ---------------------------------------------------------------- webhooks
def webhook(raw: bytes, secret: str = "s3creto", tenant: str = "tienda", **headers: str):
    return http_event(
        "POST",
        f"/webhooks/shopify/{tenant}",
        body=raw,
        headers={
            "x-shopify-topic": "orders/paid",
            "x-shopify-hmac-sha256": sign_base64_hmac(raw, secret),
            **headers,
        },
        route="/webhooks/{channel}/{tenant_id}",
        path_params={"channel": "shopify", "tenant_id": tenant},
    )


def test_a_signed_webhook_is_acknowledged(handler: Any, adapters: FakeAdapters) -> None:
    response = handler("webhooks", webhook(b'{"id": 1, "line_items": [{}]}'))
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"ok": True}
    assert len(adapters.queue.messages) == 1


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (webhook(b'{"id": 1, "line_items": [{}]}', secret="otro"), 401),
        (webhook(b'{"id": 1, "line_items": [{}]}', tenant="nadie"), 404),
        (webhook(b'{"id": 1, "line_items": ['), 400),
    ],
    ids=["wrong-signature", "unknown-tenant", "malformed-json"],
)
def test_bad_webhooks_get_a_spanish_json_error_and_nothing_is_queued(
    handler: Any, adapters: FakeAdapters, event: dict[str, Any], status: int
) -> None:
    response = handler("webhooks", event)
    assert response["statusCode"] == status
    body = json.loads(response["body"])
    assert body["error"] and body["message"]
    assert adapters.queue.messages == []


# ---------------------------------------------------------------- seller API
def api(path: str, key: str = "clave-tienda", **query: str) -> dict[str, Any]:
    return http_event(
        "GET",
        path,
        headers={"authorization": f"Bearer {key}"},
        route="/api/v1/{proxy+}",
        query=query or None,
    )


def test_the_seller_api_lists_and_shows_the_keys_own_orders(
    handler: Any, adapters: FakeAdapters
) -> None:
    adapters.orders.add(builders.order())
    listing = handler("seller_api", api("/api/v1/orders"))
    assert listing["statusCode"] == 200
    assert [o["order_id"] for o in json.loads(listing["body"])["orders"]] == ["1001"]
    one = handler("seller_api", api("/api/v1/orders/shopify/1001"))
    assert json.loads(one["body"])["status"] == "recibido"
    assert handler("seller_api", api("/api/v1/orders", key="otra"))["statusCode"] == 401
    assert handler("seller_api", api("/api/v1/nada"))["statusCode"] == 404


@pytest.mark.parametrize("limit", ["²", "0", "101", "abc", "-1", "1e3"])
def test_a_bad_page_size_is_a_400_naming_the_parameter(handler: Any, limit: str) -> None:
    response = handler("seller_api", api("/api/v1/orders", limit=limit))
    assert response["statusCode"] == 400
    body = json.loads(response["body"])
    assert "limit" in body["message"] and body["details"] == {"parametros": ["limit"]}


def test_the_seller_sees_why_a_delivery_was_rejected(handler: Any, adapters: FakeAdapters) -> None:
    from postventa.domain.ports import RejectedWebhook

    for tenant in ("tienda", "otra"):
        adapters.rejections.add(
            RejectedWebhook(
                tenant_id=tenant,
                channel="shopify",
                received_at="2026-11-20T16:00:00.000Z",
                code="channel_payload",
                reason="El pedido de Shopify no tiene los datos necesarios para facturar.",
                payload_key=f"webhooks/{tenant}/shopify/2026/11/20/x.json",
            )
        )
    body = json.loads(handler("seller_api", api("/api/v1/rejected-webhooks"))["body"])
    [rejected] = body["rejected"]
    assert rejected["code"] == "channel_payload" and "Shopify" in rejected["reason"]
    assert rejected["payload_key"].startswith("webhooks/tienda/")


def test_after_too_many_wrong_keys_the_answer_is_429_with_retry_after(handler: Any) -> None:
    for i in range(10):
        assert handler("seller_api", api("/api/v1/orders", key=f"mala-{i}"))["statusCode"] == 401
    blocked = handler("seller_api", api("/api/v1/orders"))
    assert blocked["statusCode"] == 429 and int(blocked["headers"]["Retry-After"]) > 0
    assert "Demasiados intentos" in json.loads(blocked["body"])["message"]


# ---------------------------------------------------------------- message templates
def templates_call(
    method: str, path: str, body: object = None, key: str = "clave-tienda"
) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
    return http_event(
        method,
        path,
        body=raw,
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        route="/api/v1/{proxy+}",
    )


ML_TEMPLATE = {"text": "Hola {{ comprador }}, pide tu factura de {{ tienda }}: {{ liga }}"}


def test_a_seller_saves_reads_previews_and_deletes_a_channels_template(handler: Any) -> None:
    path = "/api/v1/message-templates/mercadolibre"
    saved = handler("seller_api", templates_call("PUT", path, ML_TEMPLATE))
    assert saved["statusCode"] == 200 and json.loads(saved["body"])["custom"] is True
    read = json.loads(handler("seller_api", templates_call("GET", path))["body"])
    assert read["template"] == ML_TEMPLATE and read["limits"]["max_chars"] == {"text": 350}
    preview = handler("seller_api", templates_call("POST", path + "/preview", {}))
    shown = json.loads(preview["body"])
    assert preview["statusCode"] == 200 and shown["valid"] and shown["template_source"] == "propia"
    assert shown["message"]["text"].startswith("Hola María Fernanda González Ruiz, pide tu")
    listing = json.loads(
        handler("seller_api", templates_call("GET", "/api/v1/message-templates"))["body"]
    )
    assert [t["channel"] for t in listing["templates"]] == ["mercadolibre", "shopify"]
    gone = handler("seller_api", templates_call("DELETE", path))
    assert gone["statusCode"] == 200 and json.loads(gone["body"])["custom"] is False
    assert handler("seller_api", templates_call("DELETE", path))["statusCode"] == 404


def test_a_refused_template_is_a_422_with_every_problem_in_spanish(
    handler: Any, adapters: FakeAdapters
) -> None:
    bad = {"subject": "Hola {{ comprador.__class__ }}", "text": "Factura en bit.ly/x"}
    response = handler("seller_api", templates_call("PUT", "/api/v1/message-templates/amazon", bad))
    assert response["statusCode"] == 422
    body = json.loads(response["body"])
    assert body["error"] == "plantilla_invalida"
    assert [(d["part"], d["code"]) for d in body["details"]] == [
        ("subject", "parte_no_admitida"),
        ("text", "liga_acortada"),
    ]
    assert "Amazon no admite el asunto" in body["message"]
    assert adapters.message_templates.templates == {}


@pytest.mark.parametrize(
    ("raw", "status", "says"),
    [
        (b"{no es json", 400, "no es JSON válido"),
        ({"texto": "{{ liga }}"}, 422, "«texto» no es parte de la plantilla"),
        ({"text": "x" * 5001}, 422, "«text» admite 5000 caracteres como máximo"),
        ({}, 422, "Falta «text»"),
    ],
)
def test_a_body_that_is_not_a_template_is_refused_saying_what_is_wrong(
    handler: Any, raw: Any, status: int, says: str
) -> None:
    response = handler(
        "seller_api", templates_call("PUT", "/api/v1/message-templates/shopify", raw)
    )
    assert response["statusCode"] == status
    assert says in json.loads(response["body"])["message"]


def test_template_routes_need_the_key_and_a_known_channel(handler: Any) -> None:
    path = "/api/v1/message-templates/shopify"
    assert handler("seller_api", templates_call("GET", path, key="otra"))["statusCode"] == 401
    put = templates_call("PUT", path, {"subject": "x", "text": "{{ liga }}"}, key="otra")
    assert handler("seller_api", put)["statusCode"] == 401
    unknown = handler("seller_api", templates_call("GET", "/api/v1/message-templates/ebay"))
    assert unknown["statusCode"] == 404


def test_once_invoiced_the_buyers_link_offers_the_xml_and_the_pdf(
    handler: Any, token: str, adapters: FakeAdapters
) -> None:
    from postventa.domain.invoices import Invoice
    from postventa.domain.status import FOLIO_RESERVED, STAMPED

    post(handler, token, VALID_FORM, origin=PUBLIC)
    ref = builders.order().ref
    adapters.orders.apply(ref, FOLIO_RESERVED)
    progress = handler("billing_form", form(token))["body"]
    assert "Tu factura está en proceso" in progress and "✓ Datos fiscales recibidos" in progress
    invoice = Invoice(
        uuid="U-1",
        serie="T",
        folio="7",
        total="599.00",
        currency="MXN",
        xml_key="invoices/tienda/shopify/1001/U-1.xml",
        pdf_key="invoices/tienda/shopify/1001/U-1.pdf",
        stamped_at="2026-11-20T16:00:00.000Z",
        pac="sandbox",
        test_stamp=True,
    )
    adapters.orders.apply(ref, STAMPED, extra={"invoice": invoice})
    page = handler("billing_form", form(token))
    assert page["statusCode"] == 200 and "Tu factura está lista" in page["body"]
    assert ">Descargar PDF</a>" in page["body"] and "descarga=T7.xml" in page["body"]
    assert "✓ Factura emitida" in page["body"]
