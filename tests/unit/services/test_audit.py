"""The audit: bus events become the order's history, in the order things happened."""

from __future__ import annotations

from postventa.services.audit import OrderEvent, record_order_event
from tests.support import builders
from tests.support.fakes import FakeAdapters


def event(event_id: str, detail_type: str, occurred_at: str | None) -> OrderEvent:
    detail = {"tenant_id": "tienda", "channel": "shopify", "order_id": "1001", "total": "599.00"}
    if occurred_at:
        detail["occurred_at"] = occurred_at
    return OrderEvent.model_validate(
        {
            "version": "0",
            "id": event_id,
            "detail-type": detail_type,
            "source": "postventa",
            "account": "123456789012",
            "time": "2026-11-20T16:00:05Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
    )


def test_events_in_the_same_second_are_listed_in_the_order_they_happened(
    adapters: FakeAdapters,
) -> None:
    ref = builders.order().ref
    # "zz" sorts after "aa": only the milliseconds can put them right.
    assert record_order_event(event("zz", "BillingRequested", "2026-11-20T16:00:05.120Z"), adapters)
    assert record_order_event(
        event("aa", "BillingDataReceived", "2026-11-20T16:00:05.870Z"), adapters
    )
    history = adapters.orders.history(ref)
    assert [h.event_type for h in history] == ["BillingRequested", "BillingDataReceived"]
    assert history[0].detail == {"total": "599.00"}


def test_a_redelivered_event_is_recorded_once(adapters: FakeAdapters) -> None:
    assert record_order_event(event("e1", "OrderReceived", None), adapters)
    assert not record_order_event(event("e1", "OrderReceived", None), adapters)
    [entry] = adapters.orders.history(builders.order().ref)
    assert entry.at == "2026-11-20T16:00:05.000Z"


def test_times_written_by_the_state_machine_are_stored_like_ours(adapters: FakeAdapters) -> None:
    record_order_event(
        event("sfn", "BillingDataReceived", "2026-11-20T16:00:05.231339+00:00"), adapters
    )
    [entry] = adapters.orders.history(builders.order().ref)
    assert entry.at == "2026-11-20T16:00:05.231Z"
