"""The sweep: an order left in `recibido` gets its lifecycle back, or `error` with the reason."""

from __future__ import annotations

from postventa.domain.status import BUYER_DATA_SUBMITTED, OrderStatus
from postventa.services.sweeper import sweep_stuck_orders
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.fakes import FakeAdapters


def test_an_order_whose_lifecycle_never_started_gets_it_started(adapters: FakeAdapters) -> None:
    order = builders.order()
    adapters.orders.add(order)
    adapters.clock.advance(minutes=16)
    report = sweep_stuck_orders(adapters, "tienda")
    assert (report.restarted, report.flagged) == (1, 0)
    assert order.ref.execution_name in adapters.lifecycle.started
    assert adapters.events.types() == ["LifecycleRestarted"]


def test_a_fresh_order_or_a_running_lifecycle_is_left_alone(adapters: FakeAdapters) -> None:
    fresh, running = builders.order("1"), builders.order("2")
    adapters.orders.add(running)
    adapters.lifecycle.start(running.ref, 3600)
    adapters.clock.advance(minutes=16)
    adapters.orders.add(fresh)
    report = sweep_stuck_orders(adapters, "tienda")
    assert (report.checked, report.restarted, report.flagged) == (2, 0, 0)


def test_an_order_whose_lifecycle_ended_without_asking_the_buyer_is_put_in_error(
    adapters: FakeAdapters,
) -> None:
    order = builders.order()
    adapters.orders.add(order)
    adapters.lifecycle.start(order.ref, 3600)
    adapters.lifecycle.statuses[order.ref.execution_name] = "FAILED"
    adapters.clock.advance(minutes=16)
    assert sweep_stuck_orders(adapters, "tienda").flagged == 1
    record = adapters.orders.get(order.ref)
    assert record is not None and record.status is OrderStatus.ERROR
    assert record.error_code == "ciclo_interrumpido" and "comprador" in (record.error_reason or "")
    assert sweep_stuck_orders(adapters, "tienda").flagged == 0  # said once


def test_an_order_with_data_but_no_lifecycle_is_started_at_the_invoice(
    adapters: FakeAdapters,
) -> None:
    """The channel's billing data recorded at ingest, then the start lost (the queue gave up)."""
    order = builders.order()
    adapters.orders.add(order)
    adapters.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": VALID_FORM})
    adapters.clock.advance(minutes=16)
    assert sweep_stuck_orders(adapters, "tienda").restarted == 1
    assert adapters.lifecycle.with_data[order.ref.execution_name] is True


def test_an_order_with_data_whose_lifecycle_ended_is_put_in_error_with_the_retry(
    adapters: FakeAdapters,
) -> None:
    order = builders.order()
    adapters.orders.add(order)
    adapters.lifecycle.start(order.ref, 3600)
    adapters.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": VALID_FORM})
    adapters.lifecycle.statuses[order.ref.execution_name] = "FAILED"
    adapters.clock.advance(minutes=14)
    assert sweep_stuck_orders(adapters, "tienda").flagged == 0  # not yet: 15 minutes
    adapters.clock.advance(minutes=2)
    assert sweep_stuck_orders(adapters, "tienda").flagged == 1
    record = adapters.orders.get(order.ref)
    assert record is not None and record.status is OrderStatus.ERROR
    assert "sin facturarlo" in (record.error_reason or "")
    assert record.error_action == "Reintenta el pedido."
