"""The panel's orders: filters by status, channel and paid date (Mexico City days), the seller's
actions as the status table allows them, and the billing request's per-channel switch."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from postventa.domain.orders import Channel
from postventa.domain.status import (
    BILLING_REQUESTED,
    BUYER_DATA_SUBMITTED,
    HELD_IN_INBOX,
    INVOICING_FAILED,
    OrderStatus,
)
from postventa.errors import BadRequestError, ConflictError, NotFoundError
from postventa.services import message_switches, order_search
from postventa.services.billing_request import BillingRequestTask, send_billing_request
from tests.support import builders
from tests.support.fakes import FakeAdapters


def _add(adapters: FakeAdapters, order_id: str, paid: datetime, **kw: object) -> None:
    adapters.orders.add(builders.order(order_id, paid_at=paid, **kw))  # type: ignore[arg-type]


def _ids(results: order_search.OrderResults) -> list[str]:
    return [r.order.order_id for r in results.orders]


def test_filters_by_status_channel_and_mexico_city_days(adapters: FakeAdapters) -> None:
    # 05:30 UTC on the 2nd is 23:30 of the 1st in Mexico City.
    _add(adapters, "1", datetime(2026, 11, 2, 5, 30, tzinfo=UTC))
    _add(adapters, "2", datetime(2026, 11, 2, 18, 0, tzinfo=UTC))
    _add(adapters, "3", datetime(2026, 11, 3, 18, 0, tzinfo=UTC), channel=Channel.WOOCOMMERCE)
    adapters.orders.apply(builders.order("2").ref, BILLING_REQUESTED)
    day_two = order_search.OrderFilters(desde=date(2026, 11, 2), hasta=date(2026, 11, 2))
    assert _ids(order_search.search("tienda", day_two, adapters)) == ["2"]
    first = order_search.OrderFilters(desde=date(2026, 11, 1), hasta=date(2026, 11, 1))
    assert _ids(order_search.search("tienda", first, adapters)) == ["1"]
    woo = order_search.OrderFilters(canal=Channel.WOOCOMMERCE)
    assert _ids(order_search.search("tienda", woo, adapters)) == ["3"]
    requested = order_search.OrderFilters(estado=OrderStatus.BILLING_REQUESTED)
    assert _ids(order_search.search("tienda", requested, adapters)) == ["2"]
    assert _ids(order_search.search("otra", order_search.OrderFilters(), adapters)) == []


def test_blank_filters_are_none_and_backwards_dates_are_refused() -> None:
    blank = order_search.OrderFilters.model_validate({"estado": "", "canal": "", "desde": ""})
    assert not blank.active()
    with pytest.raises(ValueError):
        order_search.OrderFilters.model_validate({"desde": "2026-11-05", "hasta": "2026-11-01"})


def test_actions_follow_the_status(adapters: FakeAdapters) -> None:
    order = builders.order()
    adapters.orders.add(order)
    assert order_search.detail("tienda", "shopify", "1001", adapters).actions == frozenset()
    adapters.orders.apply(
        order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": builders.VALID_FORM}
    )
    adapters.orders.apply(order.ref, HELD_IN_INBOX, extra={"waiting_token": "tt"})
    assert order_search.detail("tienda", "shopify", "1001", adapters).actions == {
        "aprobar",
        "rechazar",
    }
    with pytest.raises(BadRequestError):
        order_search.act("tienda", "shopify", "1001", "rechazar", "x", adapters)
    assert (
        order_search.act("tienda", "shopify", "1001", "rechazar", "Falta la razón social", adapters)
        == "rechazar"
    )
    assert adapters.lifecycle.completed[-1][1]["approved"] is False
    with pytest.raises(ConflictError):
        order_search.act("tienda", "shopify", "1001", "aprobar", "", adapters)


def test_an_order_in_error_may_be_retried_and_another_tenants_is_not_found(
    adapters: FakeAdapters,
) -> None:
    order = builders.order()
    adapters.orders.add(order)
    adapters.orders.apply(
        order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": builders.VALID_FORM}
    )
    adapters.orders.apply(order.ref, INVOICING_FAILED, extra={"error_reason": "Sin CSD"})
    assert order_search.detail("tienda", "shopify", "1001", adapters).actions == {"reintentar"}
    assert order_search.act("tienda", "shopify", "1001", "reintentar", "", adapters) == "reintentar"
    assert adapters.orders.get(order.ref).status is OrderStatus.DATA_RECEIVED
    with pytest.raises(NotFoundError):
        order_search.detail("otra", "shopify", "1001", adapters)
    with pytest.raises(NotFoundError):
        order_search.download_url("tienda", "shopify", "1001", "xml", adapters)


def test_a_channel_switched_off_asks_nobody(adapters: FakeAdapters) -> None:
    adapters.tenants.put(builders.tenant())
    message_switches.set_switches(
        "tienda", "shopify", billing_request=False, shipping_notice=True, adapters=adapters
    )
    tenant = adapters.tenants.get("tienda")
    assert tenant is not None
    switches = tenant.messaging_for("shopify")
    assert (switches.billing_request, switches.shipping_notice) == (False, False)  # ML only
    order = builders.order()
    adapters.orders.add(order)
    outcome = send_billing_request(
        BillingRequestTask(task_token="tt", order=order.ref, deadline_seconds=3600), adapters
    )
    assert (outcome.sent, outcome.reason) == (False, "desactivado_por_vendedor")
    assert adapters.mailer.sent == []
    assert adapters.orders.get(order.ref).billing_request_skipped == "desactivado_por_vendedor"
    ml = message_switches.set_switches(
        "tienda", "mercadolibre", billing_request=True, shipping_notice=True, adapters=adapters
    )
    assert ml.shipping_notice is True
    with pytest.raises(NotFoundError):
        message_switches.set_switches(
            "tienda", "tianguis", billing_request=True, shipping_notice=False, adapters=adapters
        )
