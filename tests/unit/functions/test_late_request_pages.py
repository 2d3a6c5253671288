"""The buyer's pages after the deadline: the link still takes a late request and says which case
applies (not in a global yet; in one, to be re-issued); past the seller's cut-off, a polite page
asking to contact the seller."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from postventa.domain.clock import epoch
from postventa.domain.invoices import GlobalInvoiceRef
from postventa.domain.status import DEADLINE_PASSED, INCLUDED_IN_GLOBAL, OrderStatus
from postventa.domain.tenants import GlobalInvoiceSettings
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
    return fake


@pytest.fixture
def token(adapters: FakeAdapters) -> str:
    """The buyer's link, which ran out with the deadline: the order went `global`."""
    order = builders.order()
    adapters.orders.add(order)
    token = adapters.links.create(
        order.ref, task_token="tt", expires_at=epoch(adapters.clock.now()) + 60
    )
    adapters.clock.advance(hours=1)
    adapters.orders.apply(order.ref, DEADLINE_PASSED)
    return token


def page(adapters: FakeAdapters, token: str, data: dict[str, str] | None = None) -> Any:
    app = load_function("billing_form")
    app.bootstrap = lambda: adapters
    get = http_event(
        "GET", f"/facturar/{token}", route="/facturar/{token}", path_params={"token": token}
    )
    shown = app.handler(get, LambdaContext())
    if data is None:
        return shown
    body = urlencode({**data, "csrf": csrf_of(shown["body"])}).encode()
    post = http_event(
        "POST",
        f"/facturar/{token}",
        body=body,
        headers={"content-type": "application/x-www-form-urlencoded", "origin": PUBLIC},
        route="/facturar/{token}",
        path_params={"token": token},
        base64_body=True,
    )
    return app.handler(post, LambdaContext())


def status(adapters: FakeAdapters) -> OrderStatus:
    record = adapters.orders.get(builders.order().ref)
    assert record is not None
    return record.status


def test_before_the_global_the_form_says_the_invoice_can_still_be_issued(
    adapters: FakeAdapters, token: str
) -> None:
    shown = page(adapters, token)
    assert shown["statusCode"] == 200 and "todavía no se incluye" in shown["body"]
    sent = page(adapters, token, VALID_FORM)
    assert sent["statusCode"] == 200 and "Recibimos tus datos" in sent["body"]
    assert status(adapters) is OrderStatus.DATA_RECEIVED
    assert any(adapters.lifecycle.with_data.values())


def test_in_the_global_the_form_says_it_will_be_reissued_and_records_the_request(
    adapters: FakeAdapters, token: str
) -> None:
    ref = builders.order().ref
    mark = GlobalInvoiceRef(run_id="2026-11-01.04#001", period="2026-11-01.04")
    adapters.orders.apply(ref, INCLUDED_IN_GLOBAL, extra={"global_invoice": mark})
    shown = page(adapters, token)
    assert shown["statusCode"] == 200 and "sustituiremos esa factura global" in shown["body"]
    assert "Este enlace vence el 1 de enero de 2027" in shown["body"]  # the fiscal year's end
    sent = page(adapters, token, VALID_FORM)
    assert "uno o dos días" in sent["body"]
    assert status(adapters) is OrderStatus.LATE_REQUEST
    assert "Ya habíamos recibido tus datos" in page(adapters, token)["body"]


def test_past_the_cut_off_the_buyer_is_asked_to_contact_the_seller(
    adapters: FakeAdapters, token: str
) -> None:
    adapters.tenants.put(builders.tenant(global_invoice=GlobalInvoiceSettings(late_request_days=0)))
    ref = builders.order().ref
    mark = GlobalInvoiceRef(run_id="2026-11-01.04#001", period="2026-11-01.04")
    adapters.orders.apply(ref, INCLUDED_IN_GLOBAL, extra={"global_invoice": mark})
    adapters.clock.advance(days=30)
    shown = page(adapters, token)
    assert shown["statusCode"] == 410
    assert "Comunícate con la tienda" in shown["body"] and "Tienda de Barro" in shown["body"]
    assert 'name="rfc"' not in shown["body"]
