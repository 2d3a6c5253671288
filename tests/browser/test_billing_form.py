"""A buyer fills the billing form in a real Chromium, on the whole product running locally.

Each test starts from its own paid Shopify order: signed webhook -> gateway -> queue -> ingest ->
Step Functions -> billing email in the local mailbox -> the link in that email, opened in the
browser.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.http import http, wait_for

from .conftest import DESKTOP, PHONE, PaidOrder, open_page, page_width, seller_order, shot

pytestmark = pytest.mark.browser

FIELDS = ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "email")

# A persona física on salary (régimen 605) with a mistyped RFC check digit (SAT's test RFC ends
# in 8) and a CP without its leading digit: two mistakes, two messages.
WRONG = {
    "rfc": "XOJI740919U47",
    "nombre": "Ingrid Xodar Jiménez",
    "regimen_fiscal": "605",
    "codigo_postal": "7602",
    "uso_cfdi": "S01",
    "email": "ingrid.xodar@example.com",
}
FIXED = {"rfc": "XOJI740919U48", "codigo_postal": "76028"}
PERSONA_FISICA = {**WRONG, **FIXED}
PERSONA_MORAL_RFC = "EKU9003173C9"
MASKED = "in*****@example.com"  # WRONG["email"] as the confirmation shows it
NAME_HINT = (
    "Escríbelo como aparece en tu Constancia de Situación Fiscal; lo usaremos en mayúsculas y "
    "sin el régimen de capital (por ejemplo, sin «S.A. de C.V.»)."
)
# Room Chromium keeps for the closed select's arrow, beside the CSS padding.
SELECT_ARROW_PX = 24


def _fill(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = page.locator(f"#{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def _submit(page: Any) -> Any:
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Enviar datos").click()
    page.wait_for_load_state("load")
    return posted.value


def _pesos(total: str) -> str:
    """Shopify's "1057.10" as the pages write it: "$1,057.10 MXN"."""
    return f"${Decimal(total):,.2f} MXN"


def _lines_of(page: Any, selector: str) -> int:
    """How many lines an inline element's text takes (one client rect per line box)."""
    return int(page.locator(selector).evaluate("e => e.getClientRects().length"))


def _options_cut_in_closed_selects(page: Any) -> list[Any]:
    """Options whose text is wider than what a closed select shows (measured in its own font)."""
    cut: list[Any] = page.evaluate(
        """(arrow) => {
            const ctx = document.createElement('canvas').getContext('2d');
            const cut = [];
            for (const select of document.querySelectorAll('select')) {
                const style = getComputedStyle(select);
                ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                const room = select.clientWidth - parseFloat(style.paddingLeft)
                             - parseFloat(style.paddingRight) - arrow;
                for (const option of select.options) {
                    const width = ctx.measureText(option.text).width;
                    if (width > room) cut.push([select.id, option.text, width, room]);
                }
            }
            return cut;
        }""",
        SELECT_ARROW_PX,
    )
    return cut


def test_emailed_link_shows_the_order_with_every_field_labelled_and_fits_a_phone(
    paid_order: PaidOrder, cloud: Any, pages: Any, screenshots: Path
) -> None:
    assert paid_order.link.startswith(cloud.gateway_url + "/facturar/")

    page = pages(DESKTOP)
    response = open_page(page, paid_order.link)
    assert response.status == 200
    assert "text/html" in response.headers["content-type"]
    heading = page.get_by_role("heading", level=1)
    assert paid_order.number in heading.inner_text()
    assert paid_order.number in page.title()
    total = page.locator("tfoot").inner_text()
    assert "Total pagado" in total
    assert page.locator("#total").inner_text() == _pesos(paid_order.total)  # "$1,057.10 MXN"
    amounts = page.locator("tbody td.amount").all_inner_texts()
    assert amounts and all(a.startswith("$") and a[-3] == "." for a in amounts), amounts
    assert page.locator("html").get_attribute("lang") == "es"

    # Every control has a <label> whose text is its accessible name, and nothing else shares it.
    controls = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
              .filter(e => e.type !== 'hidden')
              .map(e => ({id: e.id, name: e.name,
                          labels: [...e.labels].map(l => l.textContent.trim())}))"""
    )
    assert sorted(c["name"] for c in controls) == sorted(FIELDS)
    for control in controls:
        assert len(control["labels"]) == 1 and control["labels"][0], control
        by_label = page.get_by_label(control["labels"][0], exact=True)
        assert by_label.count() == 1, control
        assert by_label.get_attribute("id") == control["id"]
    assert page.get_by_label("Correo para recibir la factura").input_value() == (
        "comprador.demo@example.com"
    )  # prefilled from the order
    assert page.locator("[aria-invalid]").count() == 0
    nombre_hint = page.locator("#nombre-hint")
    assert nombre_hint.inner_text() == NAME_HINT and nombre_hint.is_visible()
    assert "nombre-hint" in (page.locator("#nombre").get_attribute("aria-describedby") or "")
    # Controls use the page's font, not the browser's default control font.
    fonts = page.evaluate(
        """() => [document.body, ...document.querySelectorAll('input, select, button')]
              .map(e => getComputedStyle(e).fontFamily)"""
    )
    assert len(set(fonts)) == 1, fonts
    shot(page, screenshots, "1-form-desktop")

    phone = pages(PHONE)
    assert open_page(phone, paid_order.link).status == 200
    assert page_width(phone) <= PHONE["width"]
    assert _lines_of(phone, "#total") == 1  # "$1,057.10 MXN" never splits on a phone
    shot(phone, screenshots, "2-form-phone")
    # Every régimen and uso reads whole in the closed select; the SAT code is the value.
    assert _options_cut_in_closed_selects(phone) == []
    phone.locator("#regimen_fiscal").select_option("605")
    assert phone.locator("#regimen_fiscal option:checked").inner_text() == (
        "605 · Sueldos y salarios"
    )
    select_box = phone.locator("#regimen_fiscal").bounding_box()
    card_box = phone.locator("form").bounding_box()
    assert select_box is not None and card_box is not None
    assert select_box["width"] == card_box["width"]  # full width of the form
    assert page.problems == [] and phone.problems == []


def test_wrong_rfc_check_digit_and_cp_are_explained_beside_the_fields(
    paid_order: PaidOrder, cloud: Any, pages: Any, screenshots: Path
) -> None:
    page = pages(PHONE)
    open_page(page, paid_order.link)
    _fill(page, WRONG)
    response = _submit(page)
    assert response.status == 422
    # Referrer-Policy: same-origin lets the browser send our real Origin (not "null").
    origin = response.request.all_headers().get("origin")
    gateway = urlsplit(cloud.gateway_url)
    assert origin == f"{gateway.scheme}://{gateway.netloc}"

    # No script: the page opens with the error summary in sight (no scrolling on a phone).
    summary = page.get_by_role("alert")
    assert "Revisa los datos marcados" in summary.inner_text()
    assert page.url.endswith("#errores")
    assert summary.get_attribute("id") == "errores"
    assert summary.get_attribute("tabindex") == "-1"
    box = summary.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    for name, expected in (
        ("rfc", "dígito verificador del RFC no corresponde"),
        ("codigo_postal", "El código postal debe tener 5 dígitos"),
    ):
        field = page.locator(f"#{name}")
        assert field.get_attribute("aria-invalid") == "true", name
        described = (field.get_attribute("aria-describedby") or "").split()
        assert f"{name}-error" in described, name
        message = page.locator(f"#{name}-error")
        assert expected in message.inner_text()
        assert message.is_visible()
        # Beside the field: right below it, before the next field's label.
        field_box, message_box = field.bounding_box(), message.bounding_box()
        assert field_box is not None and message_box is not None
        gap = message_box["y"] - (field_box["y"] + field_box["height"])
        assert 0 <= gap < 80, (name, gap)
        summary_link = summary.get_by_role("link", name=message.inner_text())
        assert summary_link.get_attribute("href") == f"#{name}"  # the summary leads to the field
    for name in ("nombre", "regimen_fiscal", "uso_cfdi", "email"):
        assert page.locator(f"#{name}").get_attribute("aria-invalid") is None, name

    # What the buyer typed is still there (the name as it will be stamped, in capitals).
    assert page.locator("#rfc").input_value() == WRONG["rfc"]
    assert page.locator("#nombre").input_value().casefold() == WRONG["nombre"].casefold()
    for name in ("regimen_fiscal", "codigo_postal", "uso_cfdi", "email"):
        assert page.locator(f"#{name}").input_value() == WRONG[name], name
    assert page_width(page) <= PHONE["width"]
    assert _lines_of(page, "#total") == 1
    shot(page, screenshots, "3-errors-phone")
    assert seller_order(cloud, paid_order.order_id)["status"] == "solicitud_enviada"
    assert page.problems == []


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_corrected_data_is_confirmed_with_order_and_masked_email_and_later_visits_say_so(
    device: str, paid_order: PaidOrder, cloud: Any, pages: Any, screenshots: Path
) -> None:
    viewport = DESKTOP if device == "desktop" else PHONE
    page = pages(viewport)
    open_page(page, paid_order.link)
    _fill(page, WRONG)
    assert _submit(page).status == 422
    if device == "desktop":
        shot(page, screenshots, "4-errors-desktop")

    _fill(page, FIXED)  # only what was wrong: the rest was kept by the page
    response = _submit(page)
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Recibimos tus datos"
    status = page.get_by_role("status")
    assert status.is_visible()
    text = status.inner_text()
    assert paid_order.number in text  # which order
    assert MASKED in text and WRONG["email"] not in page.content()  # where, but masked
    assert page.locator("form, input, select").count() == 0
    assert page_width(page) <= viewport["width"]
    shot(page, screenshots, f"5-received-{device}")

    order = seller_order(cloud, paid_order.order_id)
    assert order["status"] in ("datos_recibidos", "timbrando", "facturada")  # on its way
    assert order["fiscal_data"]["rfc"] == FIXED["rfc"]
    assert order["fiscal_data"]["codigo_postal"] == FIXED["codigo_postal"]
    assert order["fiscal_data"]["regimen_fiscal"] == WRONG["regimen_fiscal"]
    assert order["fiscal_data"]["rfc_confirmado"] is False  # U48 needed no confirmation

    later_visit = {"Ya habíamos recibido tus datos", "Tu factura está en proceso"}
    page.reload(wait_until="load")  # the browser posts the same data again
    assert page.get_by_role("heading", level=1).inner_text() in later_visit | {
        "Tu factura está lista"
    }
    assert page.locator("form, input, select").count() == 0

    # The emailed link, followed again until the invoice is out: its progress, then its files.
    def invoiced() -> bool:  # stamped, and its PDF made (the XML comes first)
        assert open_page(page, paid_order.link).status == 200
        heading = page.get_by_role("heading", level=1).inner_text()
        return heading == "Tu factura está lista" and page.locator("text=Descargar PDF").count()

    wait_for(invoiced, 60, "la página del enlace muestra la factura")
    text = page.get_by_role("status").inner_text()
    assert paid_order.number in text and MASKED in text
    assert "Factura emitida" in text
    assert page.get_by_role("link", name="Descargar PDF").is_visible()
    assert page.locator("form, input, select").count() == 0
    assert page_width(page) <= viewport["width"]
    shot(page, screenshots, f"6-invoice-ready-{device}")
    pdf = http("GET", page.get_by_role("link", name="Descargar PDF").get_attribute("href"))
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")
    assert seller_order(cloud, paid_order.order_id)["status"] == "facturada"
    assert seller_order(cloud, paid_order.order_id)["fiscal_data"]["rfc"] == FIXED["rfc"]
    assert page.problems == []


# ---------------------------------------------------------------- only valid choices
def _options(page: Any, name: str) -> list[str]:
    """The codes a select offers (without its "Selecciona…" placeholder)."""
    values: list[str] = page.locator(f"#{name} option").evaluate_all(
        "options => options.map(o => o.value).filter(v => v)"
    )
    return values


def _allowed(rfc: str, regimen: str = "") -> Any:
    from postventa.services.fiscal_form import choices_for

    return choices_for({"rfc": rfc, "regimen_fiscal": regimen})


def test_without_javascript_a_persona_fisica_rfc_narrows_the_lists_after_one_message(
    paid_order: PaidOrder, cloud: Any, pages: Any, screenshots: Path
) -> None:
    page = pages(PHONE, javascript=False)
    open_page(page, paid_order.link)
    every = _allowed("")
    assert _options(page, "regimen_fiscal") == list(every.regimenes)
    assert _options(page, "uso_cfdi") == list(every.usos)
    assert "CN01" not in every.usos and "CP01" not in every.usos  # never on an ingreso form

    # A régimen of personas morales with a persona física's RFC: one message, beside it.
    _fill(page, {**PERSONA_FISICA, "regimen_fiscal": "601", "uso_cfdi": "D01"})
    assert _submit(page).status == 422
    assert page.locator(".error").all_inner_texts() == [
        page.locator("#regimen_fiscal-error").inner_text()
    ]
    assert "solo para personas morales" in page.locator("#regimen_fiscal-error").inner_text()
    fisica = _allowed(PERSONA_FISICA["rfc"])
    assert _options(page, "regimen_fiscal") == list(fisica.regimenes)
    assert "601" not in fisica.regimenes and "605" in fisica.regimenes
    assert _options(page, "uso_cfdi") == list(fisica.usos)
    assert page.locator("#uso_cfdi").input_value() == "D01"  # kept: it fits the RFC
    # Only the full names of what is offered are shown under the selects.
    page.get_by_text("Nombres completos de los regímenes").click()
    assert page.locator('#regimen_fiscal-nombres dt[data-clave="601"]').is_hidden()
    assert page.locator('#regimen_fiscal-nombres dt[data-clave="605"]').is_visible()
    assert page_width(page) <= PHONE["width"]
    shot(page, screenshots, "7-no-script-narrowed-phone")

    page.locator("#regimen_fiscal").select_option("605")
    assert _submit(page).status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Recibimos tus datos"
    order = seller_order(cloud, paid_order.order_id)
    assert order["fiscal_data"]["regimen_fiscal"] == "605"
    assert order["fiscal_data"]["uso_cfdi"] == "D01"
    assert page.problems == []


def test_with_javascript_the_lists_follow_the_rfc_and_regimen_as_the_buyer_types(
    paid_order: PaidOrder, pages: Any, screenshots: Path
) -> None:
    page = pages(DESKTOP)
    response = open_page(page, paid_order.link)
    assert "script-src 'sha256-" in response.headers["content-security-policy"]
    every = _allowed("")
    assert _options(page, "regimen_fiscal") == list(every.regimenes)

    page.locator("#rfc").press_sequentially(PERSONA_FISICA["rfc"].lower())
    fisica = _allowed(PERSONA_FISICA["rfc"])
    assert _options(page, "regimen_fiscal") == list(fisica.regimenes)  # no submit needed
    page.locator("#regimen_fiscal").select_option("605")
    salaried = _allowed(PERSONA_FISICA["rfc"], "605")
    assert _options(page, "uso_cfdi") == list(salaried.usos)
    assert "G03" not in salaried.usos and "D01" in salaried.usos
    assert page.locator('#uso_cfdi-nombres dd[data-clave="G03"]').is_hidden()
    phone = pages(PHONE)
    open_page(phone, paid_order.link)
    phone.locator("#rfc").fill(PERSONA_FISICA["rfc"])
    phone.locator("#regimen_fiscal").select_option("605")
    phone.locator("#uso_cfdi").select_option("S01")
    assert _options(phone, "uso_cfdi") == list(salaried.usos)
    assert _options_cut_in_closed_selects(phone) == []
    shot(phone, screenshots, "8-script-narrowed-phone")

    # Another RFC, another list: the régimen chosen no longer fits and is let go...
    page.locator("#rfc").fill(PERSONA_MORAL_RFC)
    moral = _allowed(PERSONA_MORAL_RFC)
    assert _options(page, "regimen_fiscal") == list(moral.regimenes)
    assert page.locator("#regimen_fiscal").input_value() == ""
    assert _options(page, "uso_cfdi") == list(moral.usos)
    # ...and comes back when the buyer returns to their own RFC.
    page.locator("#rfc").fill(PERSONA_FISICA["rfc"])
    assert page.locator("#regimen_fiscal").input_value() == "605"
    for name in ("regimen_fiscal", "uso_cfdi"):
        assert not {"CN01", "CP01"} & set(_options(page, name))
    assert page.problems == [] and phone.problems == []  # the script ran, nothing was blocked


# ---------------------------------------------------------------- mi RFC es correcto
def test_a_check_digit_warning_offers_mi_rfc_es_correcto_and_the_confirmation_is_recorded(
    paid_order: PaidOrder, cloud: Any, pages: Any, screenshots: Path
) -> None:
    page = pages(PHONE)
    open_page(page, paid_order.link)
    assert page.get_by_label("Mi RFC es correcto").count() == 0  # nothing to confirm yet
    _fill(page, {**PERSONA_FISICA, "rfc": WRONG["rfc"]})
    assert _submit(page).status == 422
    warning = page.locator("#rfc-error")
    assert "dígito verificador del RFC no corresponde" in warning.inner_text()
    box = page.get_by_label("Mi RFC es correcto")
    assert box.is_visible() and not box.is_checked()
    box_top = box.bounding_box()
    warning_box = warning.bounding_box()
    assert box_top is not None and warning_box is not None
    assert 0 <= box_top["y"] - (warning_box["y"] + warning_box["height"]) < 60  # right below it
    assert page_width(page) <= PHONE["width"]
    shot(page, screenshots, "9-rfc-warning-phone")

    box.check()
    assert _submit(page).status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Recibimos tus datos"
    fiscal = seller_order(cloud, paid_order.order_id)["fiscal_data"]
    assert fiscal["rfc"] == WRONG["rfc"] and fiscal["rfc_confirmado"] is True
    assert page.problems == []


def test_the_confirmation_box_goes_away_when_the_buyer_fixes_the_rfc_instead(
    paid_order: PaidOrder, cloud: Any, pages: Any, screenshots: Path
) -> None:
    page = pages(DESKTOP)
    open_page(page, paid_order.link)
    _fill(page, {**PERSONA_FISICA, "rfc": WRONG["rfc"]})
    assert _submit(page).status == 422
    shot(page, screenshots, "10-rfc-warning-desktop")
    page.get_by_label("Mi RFC es correcto").check()
    page.locator("#rfc").fill(FIXED["rfc"])  # it was a typo after all
    assert page.locator("#rfc-confirmacion").is_hidden()
    assert _submit(page).status == 200
    fiscal = seller_order(cloud, paid_order.order_id)["fiscal_data"]
    assert fiscal["rfc"] == FIXED["rfc"] and fiscal["rfc_confirmado"] is False
    assert page.problems == []
