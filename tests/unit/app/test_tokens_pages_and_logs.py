"""Form tokens, link expiry, rendered emails and pages, and logs without personal data."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from decimal import Decimal

import pytest

from postventa.storage.form_tokens import FormLink, hash_token, new_token


def test_form_tokens_are_long_random_and_only_their_sha256_is_kept() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    token = tokens.pop()
    assert len(token) >= 43
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in hash_token(token)


def test_link_expiry_is_the_shorter_of_ttl_and_tenant_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from postventa.services.billing_request import link_expiry
    from postventa.settings import reset_settings

    monkeypatch.setenv("FORM_TOKEN_TTL_DAYS", "7")
    reset_settings()
    try:
        assert link_expiry(1000, 3600) == 1000 + 3600
        assert link_expiry(1000, 30 * 24 * 3600) == 1000 + 7 * 24 * 3600
    finally:
        reset_settings()


def test_a_link_is_expired_from_its_expiry_second_on() -> None:
    link = FormLink("t", "shopify", "1", "h", "task", link_expires_at=100, used_at=None)
    assert not link.is_expired(now=99)
    assert link.is_expired(now=100)


def test_billing_email_renders_spanish_text_and_escaped_html() -> None:
    from postventa.messaging.email import render_email

    email = render_email(
        "billing_request",
        "Solicita tu factura",
        "a@b.mx",
        {
            "buyer_name": "<script>x</script>",
            "seller_name": "Tienda",
            "order_number": "#1",
            "total": "1,057.10",
            "currency": "MXN",
            "link": "https://f.example/facturar/abc",
            "expires_on": "19 de junio de 2025",
            "reminder": False,
        },
    )
    assert "https://f.example/facturar/abc" in email.text
    assert "vence el 19 de junio de 2025" in email.text
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html


def test_form_page_escapes_values_and_marks_invalid_fields_for_screen_readers() -> None:
    from datetime import UTC, datetime

    from postventa.domain.orders import Order, OrderLine
    from postventa.web.pages import render

    order = Order(
        tenant_id="t",
        channel="shopify",
        order_id="1",
        paid_at=datetime.now(UTC),
        lines=[OrderLine(sku="A", description="Taza", quantity=1, unit_price=Decimal("10"))],
        total_paid=Decimal("10"),
    )
    html = render(
        "billing_form",
        order=order,
        seller_name="Tienda",
        expires_on="1 de enero de 2030",
        values={
            "rfc": '"><b>x',
            "nombre": "",
            "regimen_fiscal": "",
            "codigo_postal": "",
            "uso_cfdi": "",
            "email": "",
        },
        errors={"rfc": ["El RFC es obligatorio."]},
        regimenes=[("601", "601 - General de Ley Personas Morales")],
        usos=[("G03", "G03 - Gastos en general")],
        action="/facturar/tok",
    )
    assert '"><b>x' not in html and "&#34;&gt;&lt;b&gt;x" in html
    assert 'aria-invalid="true"' in html and 'id="rfc-error"' in html
    assert '<html lang="es">' in html and "http" not in html.split("<body>")[0].lower()


def test_same_origin_check_accepts_our_origin_and_rejects_others() -> None:
    from postventa.web.http import is_same_origin

    base = "https://facturas.example.com"
    assert is_same_origin({"origin": base}, base)
    assert is_same_origin({}, base)  # no Origin header (old browsers): the token still guards
    assert not is_same_origin({"origin": "https://evil.example"}, base)
    assert not is_same_origin({"sec-fetch-site": "cross-site"}, base)
    # Under our Referrer-Policy: no-referrer, Chromium posts our own form with Origin: null.
    assert is_same_origin({"origin": "null", "sec-fetch-site": "same-origin"}, base)
    assert not is_same_origin({"origin": "null"}, base)
    assert not is_same_origin({"origin": "null", "sec-fetch-site": "same-site"}, base)


def test_form_check_reports_every_field_in_spanish_and_normalizes() -> None:
    from postventa.web.forms import check, parse_form

    values, errors = check(
        parse_form(
            "rfc=eku9003173c9&nombre=escuela+kemper+urgate&regimen_fiscal=601"
            "&codigo_postal=42501&uso_cfdi=G03&email="
        )
    )
    assert values["rfc"] == "EKU9003173C9"
    assert set(errors) == {"email"}
    _, errors = check(parse_form("rfc=&nombre=&email=x"))
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
