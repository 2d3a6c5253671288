"""Customers of one tenant: made by hand or from billing forms, edited with an audit trail,
deactivated rather than erased, searched without reading the whole list, and honoured by the
invoice email."""

from __future__ import annotations

from typing import Any

import pytest

from postventa.domain.accounts import Principal, Role
from postventa.domain.customers import CustomerData, CustomerQuery
from postventa.domain.status import BUYER_DATA_SUBMITTED
from postventa.errors import ConflictError, NotFoundError
from postventa.services import customers
from tests.support import builders
from tests.support.fakes import FakeAdapters

OWNER = Principal("tienda", Role.OWNER, "user", "sub-1", "duena@tienda.example")
OTHER = Principal("otra", Role.OWNER, "user", "sub-9", "otro@otra.example")


def _data(**changes: Any) -> CustomerData:
    values = {
        "tipo_persona": "moral",
        "nombre": "ESCUELA KEMPER URGATE",
        "rfc": "EKU9003173C9",
        "email": "compras@kemper.example",
        "regimen_fiscal": "601",
        "zona": "Norte",
    }
    values.update(changes)
    return CustomerData.model_validate(values)


def _many(adapters: FakeAdapters, count: int, **changes: Any) -> list[str]:
    """`count` personas morales with valid, distinct RFCs (AAA + date + homoclave)."""
    ids = []
    for n in range(count):
        rfc = f"AB{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}"[:3] + f"{900101 + n % 28:06d}" + "AB1"
        data = _data(nombre=f"EMPRESA {n:05d}", rfc=rfc, email=f"c{n}@x.example", **changes)
        ids.append(customers.create(OWNER, data, adapters).customer_id)
    return ids


def test_a_customer_made_by_hand_has_an_id_an_audit_entry_and_is_found(
    adapters: FakeAdapters,
) -> None:
    created = customers.create(OWNER, _data(), adapters)
    assert created.customer_id == "1" and created.version == 1
    [entry] = adapters.customers.audit("tienda", "1")
    assert (entry.action, entry.by) == ("alta", "duena@tienda.example")
    assert {c.campo for c in entry.changes} >= {"nombre", "rfc", "email"}
    found = customers.search("tienda", CustomerQuery(texto="kemper"), adapters)
    assert [c.customer_id for c in found.customers] == ["1"]


def test_rfc_and_primary_email_are_one_customers_each(adapters: FakeAdapters) -> None:
    customers.create(OWNER, _data(), adapters)
    with pytest.raises(customers.CustomerRefusedError) as rfc:
        customers.create(OWNER, _data(email="otro@x.example"), adapters)
    assert "ID 1" in rfc.value.fields["rfc"]
    with pytest.raises(customers.CustomerRefusedError) as email:
        customers.create(OWNER, _data(rfc="XIA190128J61", nombre="XENON"), adapters)
    assert "«ESCUELA KEMPER URGATE» (ID 1)" in email.value.fields["email"]
    assert "Emails a notificar" in email.value.fields["email"]
    # Another tenant may have the same RFC and email.
    assert customers.create(OTHER, _data(), adapters).customer_id == "1"


def test_an_edit_records_each_field_before_and_after(adapters: FakeAdapters) -> None:
    customers.create(OWNER, _data(), adapters)
    adapters.clock.advance(seconds=1)
    edited = customers.update(OWNER, "1", _data(zona="Sur", vendedor="Ana"), adapters, version=1)
    assert not isinstance(edited, customers.RenameNeedsConfirmation)
    assert (edited.zona, edited.version) == ("Sur", 2)
    latest = adapters.customers.audit("tienda", "1")[0]
    assert latest.action == "cambio"
    assert {(c.campo, c.antes, c.despues) for c in latest.changes} == {
        ("zona", "Norte", "Sur"),
        ("vendedor", "", "Ana"),
    }


def test_an_edit_over_someone_elses_is_refused(adapters: FakeAdapters) -> None:
    customers.create(OWNER, _data(), adapters)
    customers.update(OWNER, "1", _data(zona="Sur"), adapters, version=1)
    with pytest.raises(ConflictError):
        customers.update(OWNER, "1", _data(zona="Este"), adapters, version=1)


def test_the_rfc_never_changes(adapters: FakeAdapters) -> None:
    customers.create(OWNER, _data(), adapters)
    with pytest.raises(customers.CustomerRefusedError) as refused:
        customers.update(OWNER, "1", _data(rfc="XIA190128J61"), adapters, version=1)
    assert "otro RFC es otro cliente" in refused.value.fields["rfc"]


def test_renaming_a_customer_with_invoices_asks_first(adapters: FakeAdapters) -> None:
    customers.create(OWNER, _data(), adapters)
    record = adapters.customers.records[("tienda", "1")]
    adapters.customers.records[("tienda", "1")] = record.model_copy(update={"invoice_count": 2})
    asked = customers.update(OWNER, "1", _data(nombre="KEMPER"), adapters, version=1)
    assert isinstance(asked, customers.RenameNeedsConfirmation) and asked.invoices == 2
    done = customers.update(
        OWNER, "1", _data(nombre="KEMPER"), adapters, version=1, confirm_rename=True
    )
    assert not isinstance(done, customers.RenameNeedsConfirmation)
    assert done.nombre == "KEMPER"


def test_deactivating_hides_without_erasing_and_reactivating_brings_back(
    adapters: FakeAdapters,
) -> None:
    customers.create(OWNER, _data(), adapters)
    adapters.clock.advance(seconds=1)
    customers.set_active(OWNER, "1", False, adapters)
    assert customers.search("tienda", CustomerQuery(), adapters).customers == []
    hidden = customers.search("tienda", CustomerQuery(estatus="inactivos"), adapters)
    assert [c.customer_id for c in hidden.customers] == ["1"]
    assert customers.view(OWNER, "1", adapters).customer.active is False
    adapters.clock.advance(seconds=1)
    customers.set_active(OWNER, "1", True, adapters)
    assert [e.action for e in adapters.customers.audit("tienda", "1")] == [
        "reactivacion",
        "desactivacion",
        "alta",
    ]
    assert len(customers.search("tienda", CustomerQuery(), adapters).customers) == 1


def test_another_tenants_customer_is_not_found_by_id(adapters: FakeAdapters) -> None:
    customers.create(OWNER, _data(), adapters)
    for customer_id in ("1", "../1", "x"):
        with pytest.raises(NotFoundError):
            customers.view(OTHER, customer_id, adapters)


def test_search_pages_in_name_order_and_never_reads_past_its_budget(
    adapters: FakeAdapters,
) -> None:
    _many(adapters, 30, zona="Norte")
    _many_south = [
        customers.create(
            OWNER,
            _data(nombre=f"ZAPATA {n}", rfc=f"ZAP{900101 + n:06d}AB1", email="", zona="Sur"),
            adapters,
        )
        for n in range(5)
    ]
    first = customers.search("tienda", CustomerQuery(), adapters, limit=10)
    assert [c.nombre for c in first.customers] == [f"EMPRESA {n:05d}" for n in range(10)]
    second = customers.search(
        "tienda", CustomerQuery(), adapters, limit=10, cursor=first.next_cursor
    )
    assert second.customers[0].nombre == "EMPRESA 00010"

    adapters.customers.reads = 0
    south = customers.search("tienda", CustomerQuery(zona="sur"), adapters)
    assert [c.nombre for c in south.customers] == [c.nombre for c in _many_south]
    assert adapters.customers.reads <= 2 * len(_many_south)  # read only the zone's entries

    # A rare match far down a broad condition: a short page and a cursor to go on.
    adapters.customers.reads = 0
    budget = customers.search("tienda", CustomerQuery(vendedor="nadie"), adapters, max_evaluated=5)
    assert budget.customers == [] and budget.next_cursor is None  # vendedor index: no entries
    broad = customers.search(
        "tienda", CustomerQuery(texto="empresa", zona="sur"), adapters, max_evaluated=10
    )
    assert broad.customers == [] and broad.next_cursor is not None
    assert broad.evaluated <= 100


def test_a_tampered_cursor_is_a_clear_error(adapters: FakeAdapters) -> None:
    from postventa.errors import BadRequestError

    for cursor in ("no-es-cursor", "eyJzIjo3LCJrIjoieCJ9"):
        with pytest.raises(BadRequestError):
            customers.search("tienda", CustomerQuery(), adapters, cursor=cursor)


# ---------------------------------------------------------------- from the billing form
def _submitted(adapters: FakeAdapters, order_id: str = "1001", **fiscal: str) -> Any:
    order = builders.order(order_id)
    adapters.orders.add(order)
    data = {**builders.VALID_FORM, **fiscal}
    adapters.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": data})
    return customers.BillingEventDetail(tenant_id="tienda", channel="shopify", order_id=order_id)


def test_a_buyers_billing_data_makes_a_customer_and_joins_their_orders(
    adapters: FakeAdapters,
) -> None:
    detail = _submitted(adapters)
    customer_id = customers.on_billing_data(detail, "ev-1", adapters)
    created = adapters.customers.get("tienda", str(customer_id))
    assert created is not None and created.origin == "formulario"
    assert (created.rfc, created.tipo_persona.value, created.email) == (
        "EKU9003173C9",
        "moral",
        "compras@kemper.example",
    )
    assert created.regimen_fiscal == "601" and created.uso_cfdi == "G03"
    [order] = adapters.customers.orders("tienda", str(customer_id))
    assert order.order_number == "#1001"
    [entry] = adapters.customers.audit("tienda", str(customer_id))
    assert entry.by == customers.FORM

    # The same event again changes nothing; a later order of the same RFC joins the customer.
    assert customers.on_billing_data(detail, "ev-1", adapters) == customer_id
    assert len(adapters.customers.audit("tienda", str(customer_id))) == 1
    later = _submitted(adapters, "1002", uso_cfdi="S01")
    assert customers.on_billing_data(later, "ev-2", adapters) == customer_id
    updated = adapters.customers.get("tienda", str(customer_id))
    assert updated is not None and updated.uso_cfdi == "S01"
    assert len(adapters.customers.orders("tienda", str(customer_id))) == 2


def test_a_fisicas_name_is_split_and_a_taken_email_is_left_out(adapters: FakeAdapters) -> None:
    customers.create(
        OWNER, _data(rfc="XIA190128J61", nombre="XENON", email="juan@x.example"), adapters
    )
    detail = _submitted(
        adapters,
        rfc="PECJ800101AB1",
        nombre="JUAN CARLOS PEREZ CRUZ",
        regimen_fiscal="612",
        email="juan@x.example",
    )
    customer_id = customers.on_billing_data(detail, "ev-3", adapters)
    made = adapters.customers.get("tienda", str(customer_id))
    assert made is not None and made.tipo_persona.value == "fisica"
    assert (made.primer_nombre, made.primer_apellido, made.segundo_apellido) == (
        "JUAN",
        "PEREZ",
        "CRUZ",
    )
    assert made.email == ""


def test_generic_rfcs_make_no_customer(adapters: FakeAdapters) -> None:
    detail = _submitted(adapters, rfc="XAXX010101000", nombre="PUBLICO EN GENERAL")
    assert customers.on_billing_data(detail, "ev-4", adapters) is None


def test_an_invoice_counts_once_on_its_customer(adapters: FakeAdapters) -> None:
    from postventa.domain.invoices import Invoice

    detail = _submitted(adapters)
    customer_id = str(customers.on_billing_data(detail, "ev-5", adapters))
    ref = builders.order().ref
    invoice = Invoice(
        uuid="U-1",
        serie="F",
        folio="7",
        total="599.00",
        currency="MXN",
        xml_key="invoices/tienda/x.xml",
        stamped_at="2026-11-20T16:00:00.000Z",
        pac="sandbox",
        test_stamp=True,
    )
    adapters.orders.note(ref, invoice=invoice)
    assert customers.on_invoice_stamped(detail, adapters)
    assert not customers.on_invoice_stamped(detail, adapters)
    record = adapters.customers.get("tienda", customer_id)
    assert record is not None and record.invoice_count == 1
    assert adapters.customers.orders("tienda", customer_id)[0].invoice_folio == "F7"


# ---------------------------------------------------------------- the invoice email
def test_invoice_recipients_follow_the_customers_switch_and_notify_list(
    adapters: FakeAdapters,
) -> None:
    fiscal = {"rfc": "EKU9003173C9"}
    assert customers.invoice_recipients(adapters, "tienda", fiscal, "b@x.example").to == (
        "b@x.example"
    )
    customers.create(
        OWNER, _data(emails_notificar=["pagos@kemper.example", "B@x.example"]), adapters
    )
    sent = customers.invoice_recipients(adapters, "tienda", fiscal, "b@x.example")
    assert sent.to == "b@x.example"
    assert sent.copies == ("compras@kemper.example", "pagos@kemper.example")
    customers.update(OWNER, "1", _data(avisar_factura=False), adapters, version=1)
    off = customers.invoice_recipients(adapters, "tienda", fiscal, "b@x.example")
    assert (off.to, off.reason) == (None, "avisos_desactivados")
