"""The panel's entry point with fakes: the session cookie's attributes, sign-in and sign-out,
posts refused without the session's csrf or from another site, roles, tenant isolation, and
pages that say in Spanish what went wrong."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

from postventa.domain.accounts import Role, SellerUser
from tests.support import builders
from tests.support.events import LambdaContext, http_event, load_function
from tests.support.fakes import FakeAdapters

PUBLIC = "https://facturas.example.test"
PASSWORD = "Barro-Rojo-2026"


class Browser:
    """Calls the panel handler as API Gateway would, keeping the session cookie."""

    def __init__(self, adapters: FakeAdapters) -> None:
        self.module = load_function("panel")
        self.module.bootstrap = lambda: adapters
        self.cookie: str | None = None
        self.csrf = ""

    def call(
        self, method: str, path: str, data: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        path, _, query = path.partition("?")
        body = urlencode(data or {}, doseq=True).encode() if data is not None else b""
        event = http_event(
            method,
            path,
            body=body,
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "origin": PUBLIC,
                **headers,
            },
            route="/panel/{proxy+}",
            query=dict(p.split("=", 1) for p in query.split("&")) if query else None,
        )
        if self.cookie:
            event["cookies"] = [f"pv_sesion={self.cookie}"]
        response: dict[str, Any] = self.module.handler(event, LambdaContext(function_name="panel"))
        for cookie in response.get("cookies", []):
            name, _, rest = cookie.partition("=")
            if name == "pv_sesion":
                self.cookie = rest.split(";")[0] or None
        found = re.search(r'name="csrf" value="([^"]+)"', response.get("body") or "")
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
        return self.call("POST", path, {"csrf": self.csrf, **(data or {})}, **headers)

    def sign_in(self, email: str) -> dict[str, Any]:
        response = self.call("POST", "/panel/entrar", {"email": email, "password": PASSWORD})
        self.call("GET", "/panel/pedidos")  # a page, for its csrf value
        return response


def _person(adapters: FakeAdapters, email: str, role: Role, tenant: str = "tienda") -> None:
    user_id = adapters.identity.ensure_login(email, PASSWORD)
    adapters.users.put(
        SellerUser(user_id=user_id, tenant_id=tenant, email=email, role=role, created_at="x")
    )


@pytest.fixture
def shop() -> FakeAdapters:
    adapters = FakeAdapters()
    adapters.tenants.put(builders.tenant())
    adapters.tenants.put(builders.tenant("otra"))
    _person(adapters, "duena@tienda.example", Role.OWNER)
    _person(adapters, "caja@tienda.example", Role.STAFF)
    _person(adapters, "otro@otra.example", Role.OWNER, tenant="otra")
    return adapters


def test_without_a_session_every_page_goes_to_sign_in(shop: FakeAdapters) -> None:
    browser = Browser(shop)
    response = browser.call("GET", "/panel/clientes")
    assert response["statusCode"] == 303
    assert response["headers"]["Location"] == "/panel/entrar?siguiente=/panel/clientes"
    page = browser.call("GET", "/panel/entrar")
    assert page["statusCode"] == 200 and "Entra a tu panel" in page["body"]
    assert page["headers"]["Content-Security-Policy"].startswith("default-src 'none'")
    assert page["headers"]["X-Frame-Options"] == "DENY"


def test_signing_in_sets_a_secure_httponly_samesite_cookie_and_goes_back(
    shop: FakeAdapters,
) -> None:
    browser = Browser(shop)
    response = browser.call(
        "POST",
        "/panel/entrar",
        {"email": "duena@tienda.example", "password": PASSWORD, "siguiente": "/panel/clientes"},
    )
    assert response["statusCode"] == 303 and response["headers"]["Location"] == "/panel/clientes"
    [cookie] = response["cookies"]
    assert cookie.startswith("pv_sesion=tienda~")
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/panel", "Max-Age=43200"):
        assert attribute in cookie
    assert browser.call("GET", "/panel/clientes")["statusCode"] == 200


def test_a_wrong_password_is_a_spanish_401_and_no_cookie(shop: FakeAdapters) -> None:
    browser = Browser(shop)
    response = browser.call(
        "POST", "/panel/entrar", {"email": "duena@tienda.example", "password": "x"}
    )
    assert response["statusCode"] == 401
    assert "El correo o la contraseña no son correctos." in response["body"]
    assert not response.get("cookies")


def test_sign_in_refuses_an_offsite_next_page_and_a_cross_site_post(shop: FakeAdapters) -> None:
    browser = Browser(shop)
    response = browser.call(
        "POST",
        "/panel/entrar",
        {
            "email": "duena@tienda.example",
            "password": PASSWORD,
            "siguiente": "https://mal.example/x",
        },
    )
    assert response["headers"]["Location"] == "/panel/pedidos"
    other = Browser(shop)
    refused = other.call(
        "POST",
        "/panel/entrar",
        {"email": "duena@tienda.example", "password": PASSWORD},
        origin="https://mal.example",
    )
    assert refused["statusCode"] == 403 and not refused.get("cookies")


def test_posts_need_the_sessions_csrf_value(shop: FakeAdapters) -> None:
    browser = Browser(shop)
    browser.sign_in("duena@tienda.example")
    data = {"tipo_persona": "moral", "nombre": "KEMPER", "rfc": "EKU9003173C9"}
    forged = browser.call("POST", "/panel/clientes/nuevo", {**data, "csrf": "otro"})
    assert forged["statusCode"] == 403 and "desde el panel" in forged["body"]
    offsite = browser.post("/panel/clientes/nuevo", data, origin="https://mal.example")
    assert offsite["statusCode"] == 403
    assert shop.customers.records == {}
    assert browser.post("/panel/clientes/nuevo", data)["statusCode"] == 303


def test_staff_works_but_settings_are_the_owners(shop: FakeAdapters) -> None:
    browser = Browser(shop)
    browser.sign_in("caja@tienda.example")
    orders = browser.call("GET", "/panel/pedidos")
    assert orders["statusCode"] == 200
    assert "Configuración fiscal" not in orders["body"]  # not in the menu
    settings = browser.call("GET", "/panel/configuracion")
    assert settings["statusCode"] == 403
    assert "Solo el dueño de la cuenta" in settings["body"]
    csd = browser.post("/panel/configuracion/csd", {"password": "x"})
    assert csd["statusCode"] == 403


def test_another_tenants_customer_is_not_found(shop: FakeAdapters) -> None:
    owner = Browser(shop)
    owner.sign_in("duena@tienda.example")
    owner.post(
        "/panel/clientes/nuevo",
        {"tipo_persona": "moral", "nombre": "KEMPER", "rfc": "EKU9003173C9"},
    )
    stranger = Browser(shop)
    stranger.sign_in("otro@otra.example")
    response = stranger.call("GET", "/panel/clientes/1")
    assert response["statusCode"] == 404 and "Cliente no encontrado." in response["body"]


def test_signing_out_ends_the_session_and_clears_the_cookie(shop: FakeAdapters) -> None:
    browser = Browser(shop)
    browser.sign_in("duena@tienda.example")
    cookie = browser.cookie
    response = browser.post("/panel/salir")
    assert response["statusCode"] == 303
    assert "aviso=salida" in response["headers"]["Location"]
    assert "Max-Age=0" in response["cookies"][0]
    assert shop.sessions.sessions == {}
    browser.cookie = cookie  # the old cookie no longer opens anything
    assert browser.call("GET", "/panel/pedidos")["statusCode"] == 303


def test_an_expired_session_says_so_on_the_sign_in_page(shop: FakeAdapters) -> None:
    browser = Browser(shop)
    browser.sign_in("duena@tienda.example")
    shop.clock.advance(hours=13)
    response = browser.call("GET", "/panel/clientes")
    assert "aviso=vencida" in response["headers"]["Location"]
    page = browser.call("GET", response["headers"]["Location"])
    assert "Tu sesión terminó" in page["body"]


def test_the_csd_upload_is_multipart_and_a_fiel_is_refused_in_spanish(shop: FakeAdapters) -> None:
    from datetime import UTC, datetime

    from tests.support.csd import fiel_like

    shop.clock.current = datetime.now(UTC)
    browser = Browser(shop)
    browser.sign_in("duena@tienda.example")
    certificate, key = fiel_like()
    boundary = "limite"
    parts = [
        ("csrf", None, browser.csrf.encode()),
        ("cer", "fiel.cer", certificate),
        ("key", "fiel.key", key),
        ("password", None, b"12345678a"),
    ]
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    event = http_event(
        "POST",
        "/panel/configuracion/csd",
        body=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}", "origin": PUBLIC},
        route="/panel/{proxy+}",
        base64_body=True,
    )
    event["cookies"] = [f"pv_sesion={browser.cookie}"]
    response = browser.module.handler(event, LambdaContext(function_name="panel"))
    assert response["statusCode"] == 422
    assert "e.firma (FIEL)" in response["body"]
    assert shop.credentials.csds == {}


def test_static_files_and_unknown_pages(shop: FakeAdapters) -> None:
    browser = Browser(shop)
    css = browser.call("GET", "/panel/estatico/panel.css")
    assert css["statusCode"] == 200 and css["headers"]["Content-Type"].startswith("text/css")
    assert browser.call("GET", "/panel/estatico/..%2Fsecret.py")["statusCode"] == 404
    browser.sign_in("duena@tienda.example")
    missing = browser.call("GET", "/panel/no-existe/de/verdad/nunca")
    assert missing["statusCode"] == 404


def test_a_reseller_lands_on_a_page_that_says_what_there_is(shop: FakeAdapters) -> None:
    _person(shop, "socio@revende.example", Role.RESELLER)
    browser = Browser(shop)
    response = browser.call(
        "POST", "/panel/entrar", {"email": "socio@revende.example", "password": PASSWORD}
    )
    assert response["headers"]["Location"] == "/panel"
    page = browser.call("GET", "/panel")
    assert page["statusCode"] == 200 and "Tu cuenta es de revendedor" in page["body"]
    assert browser.call("GET", "/panel/pedidos")["statusCode"] == 403


def test_the_owner_cancels_an_invoice_from_the_order_page_and_staff_may_not(
    shop: FakeAdapters,
) -> None:
    from datetime import UTC, datetime

    from postventa.domain.status import BUYER_DATA_SUBMITTED
    from postventa.services import invoices, invoicing

    shop.clock.current = datetime.now(UTC)
    shop.tenants.put(builders.invoicing_tenant())
    shop.credentials.put_csd("tienda", builders.issuer_csd().credentials())
    shop.folios.add("tienda", 5)
    order = builders.order(payment_method="credit_card")
    shop.orders.add(order)
    fiscal = dict(builders.VALID_FORM)
    shop.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": fiscal})
    invoicing.reserve_folio(order.ref, shop)
    assert invoices.stamp(order.ref, shop)["result"] == "stamped"
    page = f"/panel/pedidos/shopify/{order.order_id}"

    staff = Browser(shop)
    staff.sign_in("caja@tienda.example")
    assert "Cancelar la factura" not in staff.call("GET", page)["body"]
    assert staff.post(f"{page}/cancelar", {"motivo_cancelacion": "02"})["statusCode"] == 403

    owner = Browser(shop)
    owner.sign_in("duena@tienda.example")
    shown = owner.call("GET", page)["body"]
    assert "Cancelar la factura" in shown and 'value="03"' in shown
    assert 'name="nombre" value="ESCUELA KEMPER URGATE"' in shown  # motivo 01's data, as it is
    refused = owner.post(f"{page}/cancelar", {"motivo_cancelacion": ""})
    assert refused["statusCode"] == 400 and "Elige el motivo" in refused["body"]
    done = owner.post(f"{page}/cancelar", {"motivo_cancelacion": "02", **fiscal})
    assert done["statusCode"] == 303 and done["headers"]["Location"].endswith("?hecho=cancelar")
    after = owner.call("GET", page + "?hecho=cancelar")["body"]
    assert "Pedimos la cancelación" in after and "Solicitada: la enviaremos al PAC" in after
    assert "Cancelar la factura" not in after  # one under way: no second request


def test_the_owner_connects_a_store_and_sees_the_url_to_paste_staff_only_looks(
    shop: FakeAdapters,
) -> None:
    owner = Browser(shop)
    owner.sign_in("duena@tienda.example")
    listing = owner.call("GET", "/panel/canales")["body"]
    assert "Sin conectar" in listing and f"{PUBLIC}/webhooks/shopify/tienda" in listing
    short = owner.post("/panel/canales/shopify/conectar", {"webhook_secret": "corto"})
    assert short["statusCode"] == 422 and "Clave de firma: es demasiado corto" in short["body"]
    assert shop.secrets.channel("tienda", "shopify") is None
    done = owner.post("/panel/canales/shopify/conectar", {"webhook_secret": "s3creto-de-firma"})
    assert done["headers"]["Location"] == "/panel/canales?hecho=canal_conectado#canal-shopify"
    assert shop.secrets.channel("tienda", "shopify") == {"webhook_secret": "s3creto-de-firma"}
    tested = owner.post("/panel/canales/shopify/probar")["body"]
    assert "Funciona: Hay una clave de firma guardada" in tested
    assert "s3creto-de-firma" not in tested  # never shown back

    generated = owner.post("/panel/canales/prestashop/conectar")["body"]
    secret = shop.secrets.channel("tienda", "prestashop")["webhook_secret"]
    assert "no lo volveremos a mostrar" in generated and secret in generated
    assert secret not in owner.call("GET", "/panel/canales")["body"]  # shown once

    staff = Browser(shop)
    staff.sign_in("caja@tienda.example")
    seen = staff.call("GET", "/panel/canales")["body"]
    assert "Solo el dueño de la cuenta conecta" in seen and "Desconectar" not in seen
    assert staff.post("/panel/canales/shopify/desconectar")["statusCode"] == 403
    assert owner.post("/panel/canales/shopify/desconectar")["statusCode"] == 303
    assert shop.secrets.channel("tienda", "shopify") is None


def test_mercado_libre_is_authorized_through_a_signed_link_and_a_bad_key_is_refused(
    shop: FakeAdapters,
) -> None:
    from tests.support.marketplaces import with_fake_markets

    markets = with_fake_markets(shop)
    owner = Browser(shop)
    owner.sign_in("duena@tienda.example")
    page = owner.post("/panel/canales/mercadolibre/autorizar")["body"]
    link = re.search(r'href="([^"]+/mercadolibre/auth/authorization\?[^"]+)"', page)
    assert link and "state=" in link.group(1) and "Autorizar en Mercado Libre" in page
    refused = owner.post("/panel/canales/liverpool/conectar", {"api_key": "no-es-una-clave"})
    assert refused["statusCode"] == 422 and "Liverpool rechazó la API key" in refused["body"]
    markets.fake.liverpool.add_shop("clave-de-mi-tienda", 2001, "Mi tienda en Liverpool")
    assert (
        owner.post("/panel/canales/liverpool/conectar", {"api_key": "clave-de-mi-tienda"})[
            "statusCode"
        ]
        == 303
    )
    assert "Mi tienda en Liverpool" in owner.call("GET", "/panel/canales")["body"]


def test_the_shipping_notice_is_edited_beside_its_switch_which_the_text_leaves_alone(
    shop: FakeAdapters,
) -> None:
    owner = Browser(shop)
    owner.sign_in("duena@tienda.example")
    page = owner.call("GET", "/panel/mensajes/mercadolibre")["body"]
    assert "Aviso de envío predeterminado" in page and "{{ guia }}" in page
    text = "Tu pedido {{ pedido }} ya va con {{ paqueteria }}: guía {{ guia }}. {{ liga_rastreo }}"
    saved = owner.post("/panel/mensajes/mercadolibre/aviso", {"accion": "guardar", "text": text})
    assert saved["headers"]["Location"].endswith("?hecho=aviso_guardado#aviso")
    stored = shop.message_templates.get("tienda", "mercadolibre", "shipping_notice")
    assert stored is not None and stored.body.text == text
    tenant = shop.tenants.get("tienda")
    assert tenant is not None and not tenant.messaging_for("mercadolibre").shipping_notice
    shortened = owner.post(
        "/panel/mensajes/mercadolibre/aviso",
        {"accion": "guardar", "text": "Rastrea aquí: https://bit.ly/abc123 {{ guia }}"},
    )
    assert shortened["statusCode"] == 422 and "una liga acortada" in shortened["body"]
    assert "El aviso no se puede usar así" in shortened["body"]
    assert shop.message_templates.get("tienda", "mercadolibre", "shipping_notice").body.text == text
    back = owner.post("/panel/mensajes/mercadolibre/aviso", {"accion": "restaurar"})
    assert back["headers"]["Location"].endswith("?hecho=aviso_restaurado#aviso")
    assert shop.message_templates.get("tienda", "mercadolibre", "shipping_notice") is None
    assert "Aviso de envío" not in owner.call("GET", "/panel/mensajes/shopify")["body"]


def test_a_connected_marketplace_appears_among_the_messages(shop: FakeAdapters) -> None:
    from postventa.domain.channels import ChannelConnection, ConnectionStatus
    from postventa.domain.orders import Channel

    owner = Browser(shop)
    owner.sign_in("duena@tienda.example")
    assert "Mercado Libre" not in owner.call("GET", "/panel/mensajes")["body"]
    shop.connections.put(
        ChannelConnection(
            tenant_id="tienda",
            channel=Channel.MERCADOLIBRE,
            status=ConnectionStatus.CONNECTED,
            connected_at="2026-11-20T16:00:00.000Z",
            updated_at="2026-11-20T16:00:00.000Z",
        )
    )
    listing = owner.call("GET", "/panel/mensajes")["body"]
    assert "Mercado Libre" in listing and "Mercado Shops" in listing
