"""A seller works in the panel in a real Chromium, on the whole product running locally: signs in,
finds an order, edits a template with the live count, uploads the test CSD and a wrong one,
finds a customer, mass-updates three, exports a CSV and opens it; a member of staff cannot open
the settings. Every page is checked for labelled fields and photographed at 375 px and desktop.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.http import wait_for

from .conftest import DESKTOP, PHONE, PaidOrder

pytestmark = pytest.mark.browser

OWNER = "vendedor@tienda-demo.example"
STAFF = "personal@tienda-demo.example"
PASSWORD = "Demo-Postventa-2026"


@pytest.fixture(scope="module")
def customers(cloud: Any) -> list[str]:
    """Five customers of the demo shop, made through the product's own service on this cloud."""
    from postventa.bootstrap import build_adapters
    from postventa.domain.accounts import Principal, Role
    from postventa.domain.customers import CustomerData
    from postventa.services import customers as service
    from tests.support.builders import moral_rfc

    adapters = build_adapters(cloud.function_environment())
    owner = Principal("demo", Role.OWNER, "user", "sub", OWNER)
    names = [
        "ABARROTES LUPITA",
        "BOTICA DEL CENTRO",
        "CAFETERIA LA ESQUINA",
        "DULCERIA MONY",
        "FERRETERIA EL CLAVO",
    ]
    return [
        service.create(
            owner,
            CustomerData(
                tipo_persona="moral",
                nombre=name,
                rfc=moral_rfc(500 + n),
                email=f"compras{n}@cliente.example",
                zona="Centro",
                regimen_fiscal="601",
            ),
            adapters,
        ).customer_id
        for n, name in enumerate(names)
    ]


@pytest.fixture
def panel(browser: Any, cloud: Any) -> Iterator[Any]:
    """new(viewport, email=OWNER, javascript=True) -> a signed-in page; errors collected."""
    contexts: list[Any] = []

    def new(viewport: dict[str, int] = DESKTOP, email: str = OWNER, javascript: bool = True) -> Any:
        context = browser.new_context(
            viewport=viewport, locale="es-MX", java_script_enabled=javascript, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and "status of 4" not in msg.text
                and page.problems.append(msg.text)
            ),
        )
        if email:
            page.goto(cloud.gateway_url + "/panel/entrar")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/panel/pedidos")
        return page

    yield new
    for context in contexts:
        context.close()


def _unlabelled(page: Any) -> list[str]:
    """Form fields without an accessible name (label, aria-label or aria-labelledby)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !e.getAttribute('aria-labelledby'))
            .map(e => e.name || e.id)"""
    )
    return found


def _reload_until(page: Any, text: str, what: str) -> None:
    """Reload a job's page until it says `text`: once a second, and a reload that races the
    page's own refresh (the job pages refresh themselves) is tried again, not a failure."""
    from playwright.sync_api import Error

    def shown() -> bool:
        try:
            page.reload(wait_until="load")
            return text in page.content()
        except Error:
            return False

    wait_for(shown, 60, what, every=1.0)


def _shoot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"panel-{name}.png"), full_page=True)


def _both_sizes(panel: Any, cloud: Any, screenshots: Path, path: str, name: str) -> None:
    for viewport, size in ((PHONE, "375"), (DESKTOP, "escritorio")):
        page = panel(viewport)
        page.goto(cloud.gateway_url + path)
        assert _unlabelled(page) == [], (path, _unlabelled(page))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{path} scrolls sideways at {size}: {width}px"
        _shoot(page, screenshots, f"{name}-{size}")
        assert page.problems == []


def test_sign_in_refuses_a_wrong_password_then_lets_the_owner_in(
    panel: Any, cloud: Any, screenshots: Path
) -> None:
    for viewport, size in ((PHONE, "375"), (DESKTOP, "escritorio")):
        page = panel(viewport, email="")
        page.goto(cloud.gateway_url + "/panel/clientes")
        assert page.url.endswith("/panel/entrar?siguiente=/panel/clientes")
        _shoot(page, screenshots, f"entrar-{size}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Saltar al contenido"
    page.fill("#email", OWNER)
    page.fill("#password", "no-es-la-contraseña")
    page.click("button[type=submit]")
    assert "El correo o la contraseña no son correctos." in page.text_content("#error-entrar")
    assert page.get_attribute("#password", "aria-invalid") == "true"
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")  # the keyboard is enough
    page.wait_for_url("**/panel/clientes")
    cookie = next(c for c in page.context.cookies() if c["name"] == "pv_sesion")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/panel"
    page.get_by_role("button", name="Salir").click()
    page.wait_for_url("**/panel/entrar**")
    assert "Cerraste tu sesión." in page.content()
    page.goto(cloud.gateway_url + "/panel/pedidos")
    assert "/panel/entrar" in page.url


def test_the_orders_list_filters_and_an_order_shows_its_history(
    panel: Any, cloud: Any, screenshots: Path, paid_order: PaidOrder
) -> None:
    page = panel()
    page.select_option("#estado", "solicitud_enviada")
    page.select_option("#canal", "shopify")
    page.get_by_role("button", name="Filtrar").click()
    page.get_by_role("link", name=paid_order.number, exact=True).click()
    assert f"Pedido {paid_order.number}" in page.text_content("h1")
    history = page.text_content(".historial")
    assert "Pedido recibido" in history and "Se pidieron al comprador" in history
    _both_sizes(panel, cloud, screenshots, "/panel/pedidos", "pedidos")
    path = f"/panel/pedidos/shopify/{paid_order.order_id}"
    _both_sizes(panel, cloud, screenshots, path, "pedido")


def test_a_template_shows_its_live_count_and_is_saved_only_when_it_fits(
    panel: Any, cloud: Any, screenshots: Path
) -> None:
    page = panel()
    page.goto(cloud.gateway_url + "/panel/mensajes/mercadolibre")
    before = page.text_content("#conteo-text")
    page.fill("#parte-text", "Hola {{ comprador }}, factura aquí: {{ liga }}")
    wait_for(lambda: page.text_content("#conteo-text") != before, 10, "the live count")
    assert "de 350 caracteres" in page.text_content("#conteo-text")
    page.fill("#parte-text", "Hola {{ comprador }}" + " muy bien" * 40 + " {{ liga }}")
    wait_for(lambda: "excede" in (page.get_attribute("#conteo-text", "class") or ""), 10, "over")
    page.click("button[value=guardar]")
    # expect waits for the page the post navigates to (content() may read it mid-way)
    expect(page.locator("body")).to_contain_text("La plantilla no se puede usar así")
    page.fill("#parte-text", "Hola {{ comprador }}, gracias por tu compra. Factura: {{ liga }}")
    page.click("button[value=guardar]")
    assert "Guardamos la plantilla" in page.text_content(".aviso")
    _both_sizes(panel, cloud, screenshots, "/panel/mensajes/mercadolibre", "mensaje")


def test_without_javascript_the_preview_button_counts(panel: Any, cloud: Any) -> None:
    page = panel(javascript=False)
    page.goto(cloud.gateway_url + "/panel/mensajes/shopify")
    page.fill("#parte-subject", "Tu factura del pedido {{ pedido }}")
    page.click("button[value=vista_previa]")
    expect(page.locator("body")).to_contain_text("Tu factura del pedido 2000009876543210")
    assert "de 150 caracteres" in page.text_content("#conteo-subject")


def test_the_test_csd_is_accepted_and_a_fiel_is_refused(
    panel: Any, cloud: Any, screenshots: Path, tmp_path: Path
) -> None:
    from tests.support.csd import eku_csd, fiel_like

    page = panel()
    page.goto(cloud.gateway_url + "/panel/configuracion")
    certificate, key = fiel_like()
    (tmp_path / "fiel.cer").write_bytes(certificate)
    (tmp_path / "fiel.key").write_bytes(key)
    page.set_input_files("#csd-cer", str(tmp_path / "fiel.cer"))
    page.set_input_files("#csd-key", str(tmp_path / "fiel.key"))
    page.fill("#csd-password", "12345678a")
    page.get_by_role("button", name="Subir CSD").click()
    refused = page.text_content("#errores-csd")
    assert "e.firma (FIEL), no un Certificado de Sello Digital" in refused
    _shoot(page, screenshots, "csd-rechazado-escritorio")

    csd = eku_csd()
    page.set_input_files("#csd-cer", str(csd.cer_path))
    page.set_input_files("#csd-key", str(csd.key_path))
    page.fill("#csd-password", csd.password)
    page.get_by_role("button", name="Subir CSD").click()
    assert "Tu CSD pasó todas las revisiones" in page.text_content(".aviso")
    assert "EKU9003173C9" in page.text_content("#csd + dl, section:has(#csd)")
    _both_sizes(panel, cloud, screenshots, "/panel/configuracion", "configuracion")


def test_staff_sees_no_settings(panel: Any, cloud: Any) -> None:
    page = panel(email=STAFF)
    assert page.locator("nav >> text=Configuración fiscal").count() == 0
    page.goto(cloud.gateway_url + "/panel/configuracion")
    assert "Solo el dueño de la cuenta" in page.content()


def test_find_mass_update_three_and_export_a_csv(
    panel: Any, cloud: Any, screenshots: Path, customers: list[str]
) -> None:
    page = panel()
    page.goto(cloud.gateway_url + "/panel/clientes")
    page.fill("#f-texto", "dulceria")
    page.click("button:has-text('Buscar')")
    names = page.locator("td[data-label=Nombre] a").all_text_contents()
    assert names == ["DULCERIA MONY"]
    page.get_by_role("link", name="DULCERIA MONY").click()
    assert page.input_value("#rfc").startswith("A")
    _both_sizes(panel, cloud, screenshots, f"/panel/clientes/{customers[3]}", "cliente")

    page.goto(cloud.gateway_url + "/panel/clientes?zona=centro")
    for customer_id in customers[:3]:
        page.check(f"#cliente-{customer_id}")
    page.check("#cambiar-vendedor")
    page.fill("#nuevo-vendedor", "Rosa")
    page.get_by_role("button", name="Revisar cambios").click()
    expect(page.locator("body")).to_contain_text("3 clientes.")
    assert "no se puede deshacer" in page.content()
    _shoot(page, screenshots, "cambio-masivo-escritorio")
    page.check("#entiendo")
    page.get_by_role("button", name="Aplicar el cambio").click()
    _reload_until(page, "Listo: cambiamos 3 clientes", "the mass update")
    page.goto(cloud.gateway_url + "/panel/clientes?vendedor=rosa")
    assert len(page.locator("td[data-label=Nombre] a").all()) == 3
    _both_sizes(panel, cloud, screenshots, "/panel/clientes?zona=centro", "clientes")

    page.get_by_role("button", name="Exportar a CSV").click()
    _reload_until(page, "Descargar CSV", "the export")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Descargar CSV").click()
    data = Path(downloading.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID cliente", "Nombre", "Observaciones"]
    # The export is of the search on screen: the three now with Rosa as their salesperson.
    assert [r[1] for r in rows[1:]] == [
        "ABARROTES LUPITA",
        "BOTICA DEL CENTRO",
        "CAFETERIA LA ESQUINA",
    ]
    assert {r[8] for r in rows[1:]} == {"Centro"}


def test_the_owner_cancels_an_invoice_and_follows_it_on_the_order_page(
    panel: Any, cloud: Any, screenshots: Path, paid_order: PaidOrder
) -> None:
    """The panel's post goes through the whole product: the panel's own function queues the
    cancellation (its environment and permissions from template.yaml) and the fiscal worker asks
    the sandbox PAC, which cancels at once an invoice issued the business day before or the same
    day (RMF 2.7.1.35, no acceptance needed); the page shows it."""
    from postventa.cli.demo import submit_billing_form

    from .conftest import seller_order

    submit_billing_form(cloud.gateway_url, paid_order.link, 1)
    wait_for(
        lambda: seller_order(cloud, paid_order.order_id)["status"] == "facturada",
        60,
        "la factura del pedido",
    )
    path = f"/panel/pedidos/shopify/{paid_order.order_id}"
    _both_sizes(panel, cloud, screenshots, path, "pedido-facturado")
    page = panel()
    page.goto(cloud.gateway_url + path)
    page.select_option("#motivo_cancelacion", "02")
    page.get_by_role("button", name="Pedir la cancelación").click()
    expect(page.locator("#cancelaciones + ul")).to_contain_text("motivo 02")
    assert "Pedimos la cancelación" in page.content()
    expect(page.get_by_role("button", name="Pedir la cancelación")).to_have_count(0)

    def followed() -> bool:
        page.reload()
        listed = page.text_content("#cancelaciones + ul") or ""
        return "motivo 02 · Cancelada" in " ".join(listed.split())

    wait_for(followed, 60, "la cancelación en el PAC", every=1.0)
    _shoot(page, screenshots, "pedido-cancelacion")
    assert page.problems == []


def test_the_channels_page_shows_the_demo_stores_connected_and_labels_every_field(
    panel: Any, cloud: Any, screenshots: Path
) -> None:
    _both_sizes(panel, cloud, screenshots, "/panel/canales", "canales")
    page = panel()
    page.goto(cloud.gateway_url + "/panel/canales")
    expect(page.locator("#canal-shopify")).to_contain_text("Conectado")
    page.locator("form[action='/panel/canales/shopify/probar'] button").click()
    expect(page.get_by_role("status").first).to_contain_text("Funciona")
    staff = panel(email=STAFF)
    staff.goto(cloud.gateway_url + "/panel/canales")
    expect(staff.locator("main")).to_contain_text("Solo el dueño de la cuenta conecta")
    expect(staff.get_by_role("button", name="Desconectar")).to_have_count(0)
