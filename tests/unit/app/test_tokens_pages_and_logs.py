"""Form tokens, link expiry, rendered emails and pages, and logs without personal data."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from decimal import Decimal
from typing import Any

import pytest

from postventa.storage.billing_links import hash_token, new_token


def test_form_tokens_are_long_random_and_only_their_sha256_is_kept() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    token = tokens.pop()
    assert len(token) >= 43
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in hash_token(token)


def test_billing_email_renders_spanish_text_and_escaped_html() -> None:
    from postventa.domain.messages import MessageValues, rules_for
    from postventa.messaging.templating import default_template, render_message

    rules = rules_for("shopify")
    email = render_message(
        rules,
        default_template(rules),
        MessageValues(
            comprador="<script>x</script>",
            tienda="Tienda",
            pedido="#1",
            total="$1,057.10 MXN",
            liga="https://f.example/facturar/abc",
            fecha_limite="19 de junio de 2025",
        ),
    )
    assert email.html is not None
    assert "https://f.example/facturar/abc" in email.text
    assert "vence el 19 de junio de 2025" in email.text
    assert "total $1,057.10 MXN)" in email.text
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html


def test_billing_email_shows_the_total_with_peso_sign_separators_and_currency() -> None:
    from datetime import UTC, datetime

    from postventa.domain.orders import Order, OrderLine, OrderRecord
    from postventa.domain.tenants import Tenant
    from postventa.services.billing_messages import compose_billing_message, order_values
    from tests.support.fakes import FakeAdapters

    order = Order(
        tenant_id="t",
        channel="shopify",
        order_id="1",
        order_number="#1001",
        paid_at=datetime.now(UTC),
        lines=[OrderLine(sku="A", description="Taza", quantity=1, unit_price=Decimal("1057.1"))],
        total_paid=Decimal("1057.1"),
    )
    at = "2026-11-20T16:00:00.000Z"
    record = OrderRecord(
        order=order, status="recibido", status_changed_at=at, created_at=at, updated_at=at
    )
    adapters, tenant = FakeAdapters(), Tenant(tenant_id="t", name="Tienda")
    values = order_values(adapters, record, tenant, "tok", 0, reminder=False)
    email = compose_billing_message(adapters, record, tenant, values).message
    assert email.html is not None
    for body in (email.text, email.html):
        assert "$1,057.10 MXN" in body
        assert "1057.1" not in body
    assert '<strong style="white-space: nowrap;">$1,057.10 MXN</strong>' in email.html


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1057.1", "MXN", "$1,057.10 MXN"),
        ("0", "MXN", "$0.00 MXN"),
        ("999.995", "MXN", "$1,000.00 MXN"),  # half up to the cent, like the invoice
        ("0.125", "mxn", "$0.13 MXN"),
        ("1234567.8", "USD", "$1,234,567.80 USD"),
        ("12.5", "EUR", "12.50 EUR"),
        ("-1500", "MXN", "-$1,500.00 MXN"),
        ("-0.001", "MXN", "$0.00 MXN"),
    ],
)
def test_amounts_read_with_peso_sign_thousands_two_decimals_and_currency(
    value: str, currency: str, expected: str
) -> None:
    from postventa.formatting import amount

    assert amount(Decimal(value), currency) == expected


def test_amount_without_code_for_table_cells() -> None:
    from postventa.formatting import amount

    assert amount(Decimal("698"), "MXN", code=False) == "$698.00"


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("contabilidad@kemper.example", "co*****@kemper.example"),
        ("ab@x.mx", "a*****@x.mx"),
        ("a@x.mx", "a*****@x.mx"),
        ("  comprador.demo@example.com ", "co*****@example.com"),
        ("no-es-correo", "*****"),
        ("@x.mx", "*****"),
    ],
)
def test_masked_email_shows_two_letters_and_the_domain_but_not_the_length(
    email: str, expected: str
) -> None:
    from postventa.formatting import mask_email

    assert mask_email(email) == expected


def _form_html(errors: dict[str, list[str]], rfc: str = "", **changes: Any) -> str:
    """The form page as the buyer gets it (régimen 605 chosen), through the page builder."""
    from datetime import UTC, datetime

    from postventa.domain.orders import Order, OrderLine
    from postventa.services.billing_form import FormToFill
    from postventa.services.fiscal_form import blank
    from postventa.web.billing_pages import form_page

    order = Order(
        tenant_id="t",
        channel="shopify",
        order_id="1",
        paid_at=datetime.now(UTC),
        lines=[
            OrderLine(sku="A", description="Taza", quantity=10, unit_price=Decimal("100")),
            OrderLine(sku="B", description="Plato", quantity=1, unit_price=Decimal("57.1")),
        ],
        total_paid=Decimal("1057.10"),
    )
    shown = blank({"rfc": rfc, "regimen_fiscal": "605"})
    outcome = FormToFill(
        order=order,
        seller_name="Tienda",
        expires_at=int(datetime(2030, 1, 1, 18, tzinfo=UTC).timestamp()),
        csrf="0" * 64,
        values=shown.values,
        choices=shown.choices,
        errors=errors,
        **changes,
    )
    return form_page(outcome, "tok").html


def test_form_page_escapes_values_and_marks_invalid_fields_for_screen_readers() -> None:
    html = _form_html({"rfc": ["El RFC es obligatorio."]}, rfc='"><b>x')
    assert '"><b>x' not in html and "&#34;&gt;&lt;b&gt;x" in html
    assert 'aria-invalid="true"' in html and 'id="rfc-error"' in html
    assert 'aria-describedby="rfc-error rfc-hint"' in html
    assert '<html lang="es">' in html and "http" not in html.split("<body>")[0].lower()


def test_form_page_amounts_have_peso_sign_and_separators_and_the_total_cannot_wrap() -> None:
    html = _form_html({})
    assert '<strong class="amount" id="total">$1,057.10 MXN</strong>' in html
    assert '<td class="num amount">$1,000.00</td>' in html and "$57.10" in html
    assert ".amount { white-space: nowrap;" in html
    assert '<td class="num">10</td>' in html  # not 1E+1


def test_rejected_form_opens_at_the_error_summary_placed_before_the_order() -> None:
    html = _form_html({"rfc": ["El RFC es obligatorio."], "uso_cfdi": ["Elige el uso."]})
    summary = html.index('id="errores"')
    assert summary < html.index('id="pedido"') < html.index("<form")
    assert 'action="/facturar/tok#errores"' in html
    tag = html[html.rindex("<", 0, summary) : html.index(">", summary)]
    assert 'tabindex="-1"' in tag and 'role="alert"' in tag
    assert '<a href="#rfc">El RFC es obligatorio.</a>' in html
    assert '<a href="#uso_cfdi">Elige el uso.</a>' in html
    assert "<title>Revisa tus datos" in html
    assert 'id="errores"' not in _form_html({})


def test_form_page_explains_that_the_name_is_used_in_capitals_without_capital_regime() -> None:
    html = _form_html({})
    assert (
        "Escríbelo como aparece en tu Constancia de Situación Fiscal; lo usaremos en mayúsculas "
        "y sin el régimen de capital (por ejemplo, sin «S.A. de C.V.»)."
    ) in html
    assert 'aria-describedby="nombre-hint"' in html


def test_inputs_inherit_the_page_font_and_the_only_script_is_ours_allowed_by_its_hash() -> None:
    import base64
    import hashlib
    import re

    from postventa.web.http import page_headers

    html = _form_html({"rfc": ["x"]})
    assert "input, select, button { font: inherit; }" in html
    assert "src=" not in html and "url(" not in html
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == 1 and html.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = page_headers()["Content-Security-Policy"]
    assert f"script-src 'sha256-{digest}';" in csp
    assert "default-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_regimen_and_uso_options_are_short_sat_codes_with_full_descriptions_listed() -> None:
    from postventa.cfdi import catalogs
    from postventa.services.fiscal_form import choices_for
    from postventa.web.forms import regimen_options, uso_options

    every = choices_for({})
    regimenes, usos = regimen_options(every.regimenes), uso_options(every.usos)
    assert [c.value for c in regimenes] == sorted(catalogs.regimenes_fiscales())
    assert [c.value for c in usos] == [u for u in catalogs.usos_cfdi() if u not in ("CP01", "CN01")]
    for choice in regimenes + usos:
        assert choice.label.startswith(f"{choice.value} · ")
        assert len(choice.label) <= 32, choice  # a closed select on a 375 px phone
    by_code = {c.value: c for c in regimenes}
    assert by_code["605"].label == "605 · Sueldos y salarios"
    assert by_code["605"].description == "Sueldos y Salarios e Ingresos Asimilados a Salarios"
    html = _form_html({})
    assert '<option value="605" selected>605 · Sueldos y salarios</option>' in html
    assert (
        '<dt data-clave="625">625</dt><dd data-clave="625">'
        + catalogs.regimenes_fiscales()["625"].descripcion
    ) in html


def test_pages_keep_the_referrer_on_our_own_site_only() -> None:
    from postventa.web.http import page_headers
    from postventa.web.pages import render

    assert page_headers()["Referrer-Policy"] == "same-origin"
    html = render("message", title="t", paragraphs=[], details=[])
    assert '<meta name="referrer" content="same-origin">' in html
    assert "no-referrer" not in html


def test_message_page_lists_its_details() -> None:
    from postventa.web.pages import render

    html = render(
        "message",
        title="Recibimos tus datos",
        paragraphs=["Gracias."],
        details=[("Pedido", "#1001"), ("Enviaremos la factura (XML y PDF) a", "co*****@x.mx")],
    )
    assert "<dt>Pedido</dt><dd>#1001</dd>" in html
    assert "co*****@x.mx" in html


def test_same_origin_check_accepts_our_origin_and_rejects_others() -> None:
    from postventa.web.http import is_same_origin

    base = "https://facturas.example.com"
    assert is_same_origin({"origin": base}, base)
    assert not is_same_origin({}, base)  # neither Origin nor Referer: not posted by a page
    assert is_same_origin({"referer": base + "/facturar/abc"}, base)  # Referer when no Origin
    assert not is_same_origin({"referer": "https://evil.example/x"}, base)
    assert not is_same_origin({"origin": "https://evil.example"}, base)
    assert not is_same_origin({"sec-fetch-site": "cross-site"}, base)
    # Our pages now send Referrer-Policy: same-origin, so browsers post a real Origin...
    assert is_same_origin({"origin": base, "sec-fetch-site": "same-origin"}, base)
    # ...but one set to send no referrer still posts Origin: null; Sec-Fetch-Site vouches for it.
    assert is_same_origin({"origin": "null", "sec-fetch-site": "same-origin"}, base)
    assert not is_same_origin({"origin": "null"}, base)
    assert not is_same_origin({"origin": "null", "sec-fetch-site": "same-site"}, base)


def test_form_check_reports_every_field_in_spanish_and_normalizes() -> None:
    from postventa.services.fiscal_form import check, parse_form

    checked = check(
        parse_form(
            "rfc=eku9003173c9&nombre=escuela+kemper+urgate&regimen_fiscal=601"
            "&codigo_postal=42501&uso_cfdi=G03&email="
        )
    )
    assert checked.values["rfc"] == "EKU9003173C9"
    assert set(checked.errors) == {"email"}
    errors = check(parse_form("rfc=&nombre=&email=x")).errors
    assert {"rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "email"} <= set(errors)


def test_webhook_rejection_log_line_carries_no_personal_data() -> None:
    from postventa.observability import PersonalDataFilter

    stream = io.StringIO()
    log = logging.getLogger("postventa.test.webhook")
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.warning("webhook rejected %s", json.dumps({"email": "jon@doe.ca"}), extra={"rfc": "x"})
    finally:
        log.removeHandler(handler)
    assert "jon@doe.ca" not in stream.getvalue()


def test_a_closed_order_tells_the_buyer_which_case_applies() -> None:
    from datetime import UTC, datetime

    from postventa.services.billing_form import ClosedBecause, LinkExpired
    from postventa.web.billing_pages import form_page

    ended = int(datetime(2026, 12, 2, 18, tzinfo=UTC).timestamp())
    deadline = form_page(LinkExpired(ClosedBecause.DEADLINE, ended), "tok")
    assert deadline.status_code == 410
    assert "contado desde tu pago, terminó el 2 de diciembre de 2026." in deadline.html
    assert "factura global" in deadline.html
    stopped = form_page(LinkExpired(ClosedBecause.STOPPED), "tok")
    assert stopped.status_code == 409
    assert "escribe a la tienda" in stopped.html.lower() and "factura global" not in stopped.html


def test_an_unknown_link_points_to_the_self_invoice_portal() -> None:
    from postventa.services.billing_form import LinkNotFound
    from postventa.web.billing_pages import form_page

    page = form_page(LinkNotFound(), "tok")
    assert page.status_code == 404 and '<a href="/facturar">' in page.html


def test_the_form_page_carries_the_choice_table_its_script_reads() -> None:
    import html as html_lib
    import json
    import re

    page = _form_html({})
    raw = re.search(r'data-opciones="([^"]*)"', page)
    assert raw is not None
    table = json.loads(html_lib.unescape(raw.group(1)))
    fisica = table["tipos"][table["porLongitud"]["13"]]
    assert "605" in table["listas"][fisica["regimenes"]]
    assert "601" not in table["listas"][fisica["regimenes"]]
    assert table["listas"][fisica["usos"]["605"]][-1] == "S01"
    assert table["porRfc"]["XAXX010101000"] == "desconocido"
    every_uso = {c for lst in table["listas"] for c in lst}
    assert not {"CN01", "CP01"} & every_uso
