"""The seller API: the tenant comes from the key; one tenant never sees another's orders."""

from __future__ import annotations

import pytest

from postventa.domain.ports import HistoryEntry
from postventa.errors import NotFoundError
from postventa.services import seller_api
from tests.support import builders
from tests.support.fakes import FakeAdapters


def test_orders_are_listed_a_page_at_a_time_and_only_the_tenants_own(
    adapters: FakeAdapters,
) -> None:
    for i in range(3):
        adapters.orders.add(builders.order(str(i)))
    adapters.orders.add(builders.order("9", tenant_id="otra"))
    first = seller_api.list_orders("tienda", adapters, limit=2)
    assert len(first["orders"]) == 2 and first["next_cursor"]
    rest = seller_api.list_orders("tienda", adapters, limit=2, cursor=first["next_cursor"])
    assert len(rest["orders"]) == 1 and "next_cursor" not in rest
    ids = {o["order_id"] for o in first["orders"] + rest["orders"]}
    assert ids == {"0", "1", "2"}


def test_one_order_comes_with_its_history_and_another_tenants_order_is_not_found(
    adapters: FakeAdapters,
) -> None:
    order = builders.order()
    adapters.orders.add(order)
    adapters.orders.record_event(
        order.ref,
        HistoryEntry(event_type="OrderReceived", at="2026-11-20T16:00:00.000Z", event_id="e1"),
    )
    view = seller_api.get_order("tienda", "shopify", "1001", adapters)
    assert view["status"] == "recibido" and view["order_number"] == "#1001"
    assert [h["event_type"] for h in view["history"]] == ["OrderReceived"]
    with pytest.raises(NotFoundError):
        seller_api.get_order("otra", "shopify", "1001", adapters)


def test_ids_that_cannot_exist_are_not_found_without_a_lookup(adapters: FakeAdapters) -> None:
    for channel, order_id in (("tianguis", "1"), ("shopify", "x" * 3000), ("shopify", "../1")):
        with pytest.raises(NotFoundError):
            seller_api.get_order("tienda", channel, order_id, adapters)
