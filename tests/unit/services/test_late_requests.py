"""A buyer asking after the deadline: invoiced at once while no global holds the sale; after the
global, the day's requests against one CFDI make one re-issue (motivo 04 cancellation, a new
global without those sales relating the old one with TipoRelacion 04, then their own invoices);
past the cut-off the window is closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postventa.domain.cancellations import CancellationState
from postventa.domain.global_invoices import CfdiState, RunState
from postventa.domain.orders import Order
from postventa.domain.status import OrderStatus
from postventa.domain.tenants import GlobalInvoiceSettings
from postventa.services import global_invoices, late_requests
from tests.support.builders import VALID_FORM
from tests.support.fakes import FakeAdapters
from tests.support.global_invoices import (
    CFDI,
    after_issue_time,
    global_adapters,
    global_tenant,
    pac,
    sell,
    stamped_xml,
    status,
)


@pytest.fixture
def adapters() -> FakeAdapters:
    return global_adapters()


def ask(adapters: FakeAdapters, order: Order) -> bool:
    at = adapters.clock.now().isoformat()
    return late_requests.record_late_request(order.ref, dict(VALID_FORM), at, adapters)


def issued(adapters: FakeAdapters, count: int) -> tuple[list[Order], str]:
    orders = [
        sell(adapters, str(i), datetime(2026, 11, 10, 15, i, tzinfo=UTC)) for i in range(count)
    ]
    after_issue_time(adapters)
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert report.state == "emitida"
    return orders, report.uuids[0]


def history(adapters: FakeAdapters, order: Order) -> list[str]:
    return [h.event_type for h in adapters.orders.history(order.ref)]


def test_before_the_global_is_issued_the_sale_is_invoiced_on_its_own_at_once(
    adapters: FakeAdapters,
) -> None:
    order = sell(adapters, "1", datetime(2026, 11, 10, 15, tzinfo=UTC))
    assert ask(adapters, order)
    record = adapters.orders.get(order.ref)
    assert record is not None and record.status is OrderStatus.DATA_RECEIVED
    assert record.fiscal_data == VALID_FORM and record.lifecycle_attempt == 1
    assert adapters.lifecycle.with_data[order.ref.execution_name_for(1)] is True
    after_issue_time(adapters)
    assert global_invoices.run_for_tenant("tienda", adapters).runs == []  # nothing global left


def test_the_days_requests_against_one_global_make_one_reissue_then_their_own_invoices(
    adapters: FakeAdapters,
) -> None:
    (keep, late, later), old_uuid = issued(adapters, 3)
    adapters.clock.advance(days=3)
    assert ask(adapters, late) and ask(adapters, later)
    assert status(adapters, late) is OrderStatus.LATE_REQUEST
    assert not ask(adapters, late)  # the second submit changes nothing

    report = late_requests.reissue_for_tenant("tienda", adapters)
    assert (report.requests, report.reissues) == (2, 1)
    # The old global is cancelled with motivo 04 (no acceptance: público en general)...
    cancellation = adapters.cancellations.get("tienda", old_uuid)
    assert cancellation is not None and cancellation.motivo == "04"
    assert cancellation.state is CancellationState.ACCEPTED
    sandbox = pac(adapters).pac.store.by_uuid(old_uuid)
    assert sandbox is not None and sandbox.state.value == "cancelado"
    # ...a new global without the two sales names it with TipoRelacion 04...
    [reissue] = [r for r in adapters.global_invoices.runs.values() if r.replaces]
    assert reissue.state is RunState.ISSUED and reissue.order_count == 1
    [root] = stamped_xml(adapters, "tienda", reissue.run_id)
    related = root.find(f"{CFDI}CfdiRelacionados")
    assert related is not None and related.get("TipoRelacion") == "04"
    assert [r.get("UUID") for r in related] == [old_uuid]
    assert [c.get("NoIdentificacion") for c in root.iter(f"{CFDI}Concepto")] == ["#0"]
    assert root.find(f"{CFDI}InformacionGlobal").get("Meses") == "11"  # the sale's period
    old = adapters.global_invoices.get_cfdi("tienda", reissue.replaces.run_id, 0)  # type: ignore[union-attr]
    assert old is not None and old.state is CfdiState.CANCELLED
    # ...then each sale gets its own invoice through a new lifecycle with the buyer's data.
    for order in (late, later):
        record = adapters.orders.get(order.ref)
        assert record is not None and record.status is OrderStatus.DATA_RECEIVED
        assert record.global_invoice is None
        assert adapters.lifecycle.with_data[order.ref.execution_name_for(1)] is True
        assert "GlobalInvoiceCancelled" in history(adapters, order)
        announced = [t for t, d in adapters.events.published if d.get("order_id") == order.order_id]
        assert announced == [
            "LateRequestReceived",
            "GlobalInvoiceReissueStarted",
            "RemovedFromGlobalInvoice",
        ]
    kept = adapters.orders.get(keep.ref)
    assert kept is not None and kept.status is OrderStatus.IN_GLOBAL_INVOICE
    assert kept.global_invoice is not None and kept.global_invoice.run_id == reissue.run_id
    # (The cancellation and the new stamp happen at the same simulated instant.)
    assert history(adapters, keep)[0] == "IncludedInGlobalInvoice"
    assert sorted(history(adapters, keep)[1:]) == [
        "GlobalInvoiceCancelled",
        "GlobalInvoiceReissued",
    ]
    seller = [e for e in adapters.mailer.sent if "Factura global" in e.subject]
    assert len(seller) == 2 and "Sustituye a la factura global" in seller[1].text
    # The next day's job finds nothing to do; nothing was cancelled or stamped twice.
    stamps = pac(adapters).stamps
    again = late_requests.reissue_for_tenant("tienda", adapters)
    assert (again.requests, again.reissues) == (0, 0) and pac(adapters).stamps == stamps


def test_when_every_sale_of_a_cfdi_is_asked_for_it_is_only_cancelled(
    adapters: FakeAdapters,
) -> None:
    [order], uuid = issued(adapters, 1)
    assert ask(adapters, order)
    late_requests.reissue_for_tenant("tienda", adapters)
    [reissue] = [r for r in adapters.global_invoices.runs.values() if r.replaces]
    assert (reissue.state, reissue.cfdi_count, reissue.released_at is not None) == (
        RunState.ISSUED,
        0,
        True,
    )
    assert status(adapters, order) is OrderStatus.DATA_RECEIVED
    assert adapters.cancellations.get("tienda", uuid).state is CancellationState.ACCEPTED  # type: ignore[union-attr]


def test_a_later_request_against_the_reissued_global_reissues_that_one(
    adapters: FakeAdapters,
) -> None:
    (first, second, third), _ = issued(adapters, 3)
    assert ask(adapters, first)
    late_requests.reissue_for_tenant("tienda", adapters)
    adapters.clock.advance(days=1)
    assert ask(adapters, second)
    late_requests.reissue_for_tenant("tienda", adapters)
    reissues = sorted(
        (r for r in adapters.global_invoices.runs.values() if r.replaces),
        key=lambda r: r.created_at,
    )
    assert len(reissues) == 2
    assert reissues[1].replaces.run_id == reissues[0].run_id  # type: ignore[union-attr]
    assert status(adapters, third) is OrderStatus.IN_GLOBAL_INVOICE
    [root] = stamped_xml(adapters, "tienda", reissues[1].run_id)
    assert [c.get("NoIdentificacion") for c in root.iter(f"{CFDI}Concepto")] == ["#2"]


def test_a_request_waits_while_its_global_is_not_stamped_yet(adapters: FakeAdapters) -> None:
    order = sell(adapters, "1", datetime(2026, 11, 10, 15, tzinfo=UTC))
    adapters.folios.accounts["tienda"] = adapters.folios.accounts["tienda"].model_copy(
        update={"available": 0}
    )
    after_issue_time(adapters)
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert report.error_code == "sin_folios"
    assert ask(adapters, order)  # in the frozen global: recorded, handled once it is stamped
    waiting = late_requests.reissue_for_tenant("tienda", adapters)
    assert (waiting.waiting, waiting.reissues) == (1, 0)
    adapters.folios.add("tienda", 5)
    global_invoices.run_for_tenant("tienda", adapters)
    assert late_requests.reissue_for_tenant("tienda", adapters).reissues == 1
    assert status(adapters, order) is OrderStatus.DATA_RECEIVED


def test_past_the_cut_off_the_request_is_not_taken(adapters: FakeAdapters) -> None:
    adapters.tenants.put(global_tenant(late_request_days=2))
    [order], _ = issued(adapters, 1)
    record = adapters.orders.get(order.ref)
    tenant = adapters.tenants.get("tienda")
    assert record is not None and tenant is not None
    window = late_requests.window(record, tenant, adapters.clock.now())
    assert window is not None and window.open
    assert window.until == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    adapters.clock.current = window.until + timedelta(seconds=1)
    assert not ask(adapters, order)
    assert status(adapters, order) is OrderStatus.IN_GLOBAL_INVOICE


def test_by_default_the_cut_off_is_the_end_of_the_sales_fiscal_year(
    adapters: FakeAdapters,
) -> None:
    [order], _ = issued(adapters, 1)
    record = adapters.orders.get(order.ref)
    window = late_requests.window(record, adapters.tenants.get("tienda"), adapters.clock.now())  # type: ignore[arg-type]
    assert window is not None and window.until == datetime(2027, 1, 1, 6, 0, tzinfo=UTC)


def test_a_global_the_pac_refuses_to_cancel_leaves_the_sales_in_it_with_the_reason(
    adapters: FakeAdapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postventa.cfdi.errors import PacDataRejectedError

    (keep, late), uuid = issued(adapters, 2)
    assert ask(adapters, late)

    def refuses(request: object) -> object:
        raise PacDataRejectedError("205: El UUID no existe.", pac_code="205")

    monkeypatch.setattr(pac(adapters).pac, "cancel", refuses)
    late_requests.reissue_for_tenant("tienda", adapters)
    record = adapters.orders.get(late.ref)
    assert record is not None and record.status is OrderStatus.IN_GLOBAL_INVOICE
    assert record.error_code == "reexpedicion_no_procede" and "205" in (record.error_reason or "")
    cfdi = adapters.global_invoices.get_cfdi("tienda", record.global_invoice.run_id, 0)  # type: ignore[union-attr]
    assert cfdi is not None and cfdi.uuid == uuid and cfdi.replaced_by is None
    assert any("No pudimos emitir" in e.subject for e in adapters.mailer.sent)
    assert status(adapters, keep) is OrderStatus.IN_GLOBAL_INVOICE


def test_a_tenant_may_take_no_late_requests_at_all(adapters: FakeAdapters) -> None:
    adapters.tenants.put(
        global_tenant().model_copy(
            update={"global_invoice": GlobalInvoiceSettings(late_request_days=0)}
        )
    )
    [order], _ = issued(adapters, 1)
    assert not ask(adapters, order)


def test_the_cut_off_follows_the_global_that_holds_the_sale_if_the_periodicity_changed(
    adapters: FakeAdapters,
) -> None:
    from postventa.domain.global_periods import Periodicidad

    adapters.tenants.put(global_tenant(late_request_days=2))
    [order], _ = issued(adapters, 1)  # in November's monthly global
    adapters.tenants.put(global_tenant(periodicity=Periodicidad.DIARIA, late_request_days=2))
    record = adapters.orders.get(order.ref)
    window = late_requests.window(record, adapters.tenants.get("tienda"), adapters.clock.now())  # type: ignore[arg-type]
    assert window is not None and window.until == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
