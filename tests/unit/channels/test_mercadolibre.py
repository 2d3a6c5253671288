"""Mercado Libre end to end in the unit tier: the product's own adapter, API client, token keeper
and services against the fake Mercado Libre (infra/fakemarkets), which keeps the documented
rules (tokens expire, refresh tokens work once, caps and 350 characters, one fiscal document per
pack of at most 1 MB)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from postventa.channels.base import QueuedWebhook
from postventa.domain.channels import ConnectionStatus
from postventa.domain.orders import Channel, OrderRef
from postventa.domain.status import OrderStatus
from postventa.services.ingest import ingest_message
from postventa.services.webhooks import receive_webhook
from tests.support import builders
from tests.support.fakes import FakeAdapters
from tests.support.marketplaces import ML_USER, Markets, connect_mercadolibre, with_fake_markets

TENANT = "tienda"


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant(TENANT, contact_email="vendedor@tienda.example"))
    return fake


@pytest.fixture
def markets(adapters: FakeAdapters) -> Markets:
    markets = with_fake_markets(adapters)
    connect_mercadolibre(adapters, markets, TENANT)
    return markets


def sale(markets: Markets, carts: list[list[dict[str, Any]]], **kwargs: Any) -> dict[str, Any]:
    return markets.fake.mercadolibre.create_sale(ML_USER, carts, **kwargs)


def cup(quantity: int = 1, price: float = 250.0, full: float | None = None) -> dict[str, Any]:
    return {
        "title": "Taza de barro &ndash; grande",
        "quantity": quantity,
        "unit_price": price,
        "full_unit_price": full or price,
        "seller_sku": "TAZA-01",
    }


def deliver(adapters: FakeAdapters, markets: Markets) -> list[Any]:
    """Every notification the fake sent, through the webhook then ingest (as SQS would)."""
    outcomes = []
    for record in markets.fake.mercadolibre.notifications:
        raw = json.dumps(record["payload"]).encode()
        outcomes.append(receive_webhook("mercadolibre", None, raw, {}, adapters))
    markets.fake.mercadolibre.notifications.clear()
    for message in list(adapters.queue.messages):
        ingest_message(QueuedWebhook.model_validate_json(message), adapters)
    adapters.queue.messages.clear()
    return outcomes


def ref(key: str, channel: Channel = Channel.MERCADOLIBRE) -> OrderRef:
    return OrderRef(tenant_id=TENANT, channel=channel.value, order_id=key)


def started(adapters: FakeAdapters) -> list[tuple[OrderRef, bool]]:
    """Each lifecycle started: the order and whether it went straight to invoicing."""
    return [
        (order_ref, adapters.lifecycle.with_data[name])
        for name, (order_ref, _) in adapters.lifecycle.started.items()
    ]


# ---------------------------------------------------------------- notifications
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        json.dumps({"resource": "/orders/1", "user_id": 999, "topic": "orders_v2"}).encode(),
        json.dumps({"resource": "/items/MLM1", "user_id": ML_USER, "topic": "items"}).encode(),
        json.dumps(
            {"resource": "/orders/../users", "user_id": ML_USER, "topic": "orders_v2"}
        ).encode(),
    ],
    ids=["malformed", "unknown-seller", "other-topic", "odd-resource"],
)
def test_anything_mercado_libre_sends_is_answered_200_and_only_its_sellers_orders_are_queued(
    adapters: FakeAdapters, markets: Markets, body: bytes
) -> None:
    outcome = receive_webhook("mercadolibre", None, body, {}, adapters)
    assert not outcome.queued and outcome.reason.startswith("ignored")
    assert adapters.queue.messages == []


def test_a_retried_notification_is_queued_once(adapters: FakeAdapters, markets: Markets) -> None:
    sale(markets, [[cup()]])
    payload = markets.fake.mercadolibre.notifications[0]["payload"]
    raw = json.dumps({**payload, "attempts": 2}).encode()
    first = receive_webhook("mercadolibre", None, json.dumps(payload).encode(), {}, adapters)
    again = receive_webhook("mercadolibre", None, raw, {}, adapters)
    assert first.queued and not again.queued and again.reason == "duplicate"
    assert len(adapters.queue.messages) == 1


def test_a_notification_on_another_tenants_route_is_ignored(
    adapters: FakeAdapters, markets: Markets
) -> None:
    sale(markets, [[cup()]])
    raw = json.dumps(markets.fake.mercadolibre.notifications[0]["payload"]).encode()
    outcome = receive_webhook("mercadolibre", "otra-tienda", raw, {}, adapters)
    assert not outcome.queued and adapters.queue.messages == []


# ---------------------------------------------------------------- orders and packs
def test_a_paid_order_is_fetched_with_the_sellers_token_and_normalized(
    adapters: FakeAdapters, markets: Markets
) -> None:
    created = sale(markets, [[cup(2, 200.0, full=250.0)]], shipping_cost=99.0)
    deliver(adapters, markets)
    record = adapters.orders.get(ref(created["key"]))
    assert record is not None
    order = record.order
    [line] = order.lines
    assert line.description == "Taza de barro – grande"  # HTML entity decoded
    assert (line.quantity, line.unit_price, line.discount) == (2, Decimal(250), Decimal(100))
    assert order.shipping == Decimal("99") and order.total_paid == Decimal("499")
    assert order.payment_method == "credit_card" and order.buyer.email is None
    assert order.channel_refs["shipment_id"] == str(created["shipment_id"])
    assert started(adapters) == [(record.ref, False)]


def test_a_cart_is_one_order_keyed_by_its_pack_and_invoiced_once(
    adapters: FakeAdapters, markets: Markets
) -> None:
    created = sale(markets, [[cup(1, 300.0)], [cup(2, 150.0)]], shipping_cost=120.0)
    outcomes = deliver(adapters, markets)  # one notification per order of the cart
    assert [o.queued for o in outcomes] == [True, True]
    record = adapters.orders.get(ref(str(created["pack_id"])))
    assert record is not None and record.order.order_number == str(created["pack_id"])
    assert [line.quantity for line in record.order.lines] == [1, 2]
    assert record.order.total_paid == Decimal("720")  # 300 + 2 x 150 + 120 shipping
    assert record.order.channel_refs["orders"] == ",".join(map(str, created["orders"]))
    # both notifications name the same pack: one order, one lifecycle
    assert len(adapters.orders.records) == 1 and len(adapters.lifecycle.started) == 1


def test_a_cart_still_being_paid_waits_for_its_last_order(
    adapters: FakeAdapters, markets: Markets
) -> None:
    ml = markets.fake.mercadolibre
    created = sale(markets, [[cup()], [cup()]], paid=False)
    deliver(adapters, markets)
    assert adapters.orders.records == {}
    ml.pay(created["orders"][0])
    deliver(adapters, markets)
    assert adapters.orders.records == {}  # the pack is still filling
    ml.pay(created["orders"][1])
    deliver(adapters, markets)
    record = adapters.orders.get(ref(str(created["pack_id"])))
    assert record is not None and len(record.order.lines) == 2


def test_a_mercado_shops_order_is_recorded_under_mercado_shops(
    adapters: FakeAdapters, markets: Markets
) -> None:
    created = sale(markets, [[cup()]], channel="mshops")
    deliver(adapters, markets)
    assert adapters.orders.get(ref(created["key"], Channel.MERCADOSHOPS)) is not None


def test_an_order_of_another_seller_is_refused_with_the_raw_body_kept(
    adapters: FakeAdapters, markets: Markets
) -> None:
    markets.fake.mercadolibre.add_seller(111, "OTRO")
    created = markets.fake.mercadolibre.create_sale(111, [[cup()]], notify=False)
    forged = {
        "resource": f"/orders/{created['orders'][0]}",
        "user_id": ML_USER,
        "topic": "orders_v2",
    }
    assert receive_webhook("mercadolibre", None, json.dumps(forged).encode(), {}, adapters).queued
    ingest_message(QueuedWebhook.model_validate_json(adapters.queue.messages[0]), adapters)
    assert adapters.orders.records == {}
    [rejected] = adapters.rejections.items
    assert rejected.payload_key and "403" in rejected.reason


# ---------------------------------------------------------------- billing info on the order
def billing_info(rfc: str = "EKU9003173C9", **changes: Any) -> dict[str, Any]:
    info = {
        "name": "ESCUELA KEMPER URGATE",
        "identification": {"type": "RFC", "number": rfc},
        "taxes": {
            "contributor": "PERSONA MORAL",
            "taxpayer_type": {"id": "601", "description": "General de Ley Personas Morales"},
            "cfdi": {"id": "G03", "description": "Gastos en general"},
        },
        "address": {"zip_code": "42501", "country_id": "MX"},
        "attributes": {"customer_type": "BU", "is_normalized": True},
    }
    info.update(changes)
    return info


def test_billing_info_on_the_order_is_validated_and_invoiced_without_asking(
    adapters: FakeAdapters, markets: Markets
) -> None:
    created = sale(markets, [[cup()]], billing_info=billing_info())
    deliver(adapters, markets)
    record = adapters.orders.get(ref(created["key"]))
    assert record is not None and record.status is OrderStatus.DATA_RECEIVED
    assert record.fiscal_data is not None and record.fiscal_data["rfc"] == "EKU9003173C9"
    assert record.fiscal_data["uso_cfdi"] == "G03" and record.fiscal_data["regimen_fiscal"] == "601"
    assert started(adapters) == [(record.ref, True)]  # straight to invoicing
    assert ("BillingDataReceived", "canal") in [
        (t, d.get("source")) for t, d in adapters.events.published
    ]


@pytest.mark.parametrize(
    ("info", "refused"),
    [
        (billing_info(taxes={"taxpayer_type": {"id": "605"}, "cfdi": {"id": "G03"}}), "regimen"),
        (billing_info(address={"zip_code": "123"}), "codigo_postal"),
    ],
    ids=["regimen-not-for-a-company", "bad-cp"],
)
def test_billing_info_sat_refuses_is_not_used_and_the_buyer_is_asked(
    adapters: FakeAdapters, markets: Markets, info: dict[str, Any], refused: str
) -> None:
    created = sale(markets, [[cup()]], billing_info=info)
    deliver(adapters, markets)
    record = adapters.orders.get(ref(created["key"]))
    assert record is not None and record.status is OrderStatus.RECEIVED and not record.fiscal_data
    assert started(adapters) == [(record.ref, False)]
    [(_, detail)] = [e for e in adapters.events.published if e[0] == "ChannelBillingDataRefused"]
    assert any(refused in field for field in detail["fields"])
    assert "EKU" not in json.dumps(detail)  # fields named, never their values


def test_the_generic_rfc_means_the_buyer_did_not_ask_for_an_invoice(
    adapters: FakeAdapters, markets: Markets
) -> None:
    created = sale(markets, [[cup()]], billing_info=billing_info("XAXX010101000"))
    deliver(adapters, markets)
    record = adapters.orders.get(ref(created["key"]))
    assert record is not None and record.status is OrderStatus.RECEIVED
    assert not [e for e in adapters.events.published if e[0] == "ChannelBillingDataRefused"]


# ---------------------------------------------------------------- tokens
def test_an_expired_token_is_refreshed_before_the_call_and_the_new_pair_stored(
    adapters: FakeAdapters, markets: Markets
) -> None:
    before = adapters.secrets.channel(TENANT, "mercadolibre")
    assert before is not None
    adapters.clock.advance(hours=6)  # Mercado Libre's 21,600 seconds have passed
    sale(markets, [[cup()]])
    deliver(adapters, markets)
    after = adapters.secrets.channel(TENANT, "mercadolibre")
    assert after is not None and after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]  # the old one worked once
    assert len(adapters.orders.records) == 1


def test_a_401_with_a_token_another_function_already_replaced_uses_the_new_one(
    adapters: FakeAdapters, markets: Markets
) -> None:
    api = adapters.marketplaces.mercadolibre(TENANT)
    stale = adapters.secrets.channel(TENANT, "mercadolibre")
    assert stale is not None
    # another function refreshes meanwhile: Mercado Libre retires the token this one holds
    other = adapters.marketplaces.mercadolibre_oauth().refresh(stale["refresh_token"])
    adapters.secrets.put_channel(TENANT, "mercadolibre", {**stale, **other.model_dump()})
    refreshes = len([r for r in markets.transport.sent if r.url.endswith("/oauth/token")])
    assert api.me()["id"] == ML_USER
    after = len([r for r in markets.transport.sent if r.url.endswith("/oauth/token")])
    assert after == refreshes  # it read the new token instead of refreshing again


def test_two_functions_refreshing_at_once_make_one_refresh(
    adapters: FakeAdapters, markets: Markets
) -> None:
    from postventa.channels.tokens import TokenKeeper

    adapters.clock.advance(hours=6)
    calls: list[str] = []
    oauth = adapters.marketplaces.mercadolibre_oauth()

    def refresher(token: str) -> Any:
        calls.append(token)
        # while this function holds the lock, the other one tries: it must wait, not refresh
        second = keeper(lambda t: pytest.fail("a second refresh"))
        with pytest.raises(Exception, match="no terminó a tiempo"):
            second.access_token()
        return oauth.refresh(token)

    def keeper(refresh: Any) -> TokenKeeper:
        return TokenKeeper(
            TENANT,
            "mercadolibre",
            secrets=adapters.secrets,
            connections=adapters.connections,
            clock=adapters.clock,
            refresher=refresh,
            on_broken=lambda reason: None,
            sleep=lambda s: adapters.clock.advance(seconds=s),
            monotonic=lambda: adapters.clock.now().timestamp(),
        )

    token = keeper(refresher).access_token()
    assert (
        len(calls) == 1
        and token == adapters.secrets.channel(TENANT, "mercadolibre")["access_token"]
    )


def test_a_revoked_authorization_breaks_the_connection_tells_the_seller_and_parks_the_order(
    adapters: FakeAdapters, markets: Markets
) -> None:
    ml = markets.fake.mercadolibre
    ml.revoke(ML_USER)
    created = sale(markets, [[cup()]])
    outcome = deliver(adapters, markets)
    assert outcome[0].queued  # the notification itself was fine
    connection = adapters.connections.get(TENANT, "mercadolibre")
    assert connection is not None and connection.status is ConnectionStatus.BROKEN
    assert "vuelve a conectarla" in (connection.broken_reason or "")
    [notice] = adapters.mailer.sent
    assert notice.to == "vendedor@tienda.example" and "Mercado Libre" in notice.subject
    assert adapters.orders.records == {}
    assert len(adapters.connections.parked(TENANT, "mercadolibre")) == 1
    # the seller authorizes again: the parked notification is fetched and the order arrives
    ml.sellers[ML_USER].revoked = False
    connect_mercadolibre(adapters, markets, TENANT)
    from postventa.services.connections import requeue_parked

    assert requeue_parked(TENANT, Channel.MERCADOLIBRE, adapters) == 1
    for message in adapters.queue.messages:
        ingest_message(QueuedWebhook.model_validate_json(message), adapters)
    assert adapters.orders.get(ref(created["key"])) is not None


def test_a_function_that_finds_the_lock_taken_uses_the_holders_new_pair(
    adapters: FakeAdapters, markets: Markets
) -> None:
    from postventa.channels.tokens import TokenKeeper

    adapters.clock.advance(hours=6)
    stale = adapters.secrets.channel(TENANT, "mercadolibre")
    assert stale is not None
    assert adapters.connections.lock_refresh(TENANT, "mercadolibre", "otra-funcion", 30)
    renewed = adapters.marketplaces.mercadolibre_oauth().refresh(stale["refresh_token"])

    def holder_finishes(seconds: float) -> None:  # while this one waits, the holder writes
        adapters.secrets.put_channel(TENANT, "mercadolibre", {**stale, **renewed.model_dump()})
        adapters.connections.unlock_refresh(TENANT, "mercadolibre", "otra-funcion")

    keeper = TokenKeeper(
        TENANT,
        "mercadolibre",
        secrets=adapters.secrets,
        connections=adapters.connections,
        clock=adapters.clock,
        refresher=lambda token: pytest.fail("the waiting function refreshed too"),
        on_broken=lambda reason: None,
        sleep=holder_finishes,
    )
    assert keeper.access_token() == renewed.access_token


def test_a_delivery_that_loses_the_race_to_store_the_cart_still_starts_it_with_the_data(
    adapters: FakeAdapters, markets: Markets
) -> None:
    """The other order's delivery stored the pack but has not recorded its billing info yet:
    this one records it (one conditional write wins) before starting the lifecycle, so no
    lifecycle starts asking a buyer whose data the channel gave."""
    created = sale(markets, [[cup()], [cup()]], billing_info=billing_info())
    ml = markets.fake.mercadolibre
    first, second = (json.dumps(r["payload"]).encode() for r in ml.notifications)
    ml.notifications.clear()
    receive_webhook("mercadolibre", None, first, {}, adapters)
    receive_webhook("mercadolibre", None, second, {}, adapters)
    one, two = (QueuedWebhook.model_validate_json(m) for m in adapters.queue.messages)
    from postventa.channels.registry import get_adapter
    from postventa.services.channel_context import channel_context

    winner = get_adapter("mercadolibre").normalize(
        one, channel_context(adapters, TENANT, Channel.MERCADOLIBRE)
    )
    assert winner is not None and adapters.orders.add(winner)  # stored, data not yet recorded
    ingest_message(two, adapters)  # the loser
    assert started(adapters) == [(ref(created["key"]), True)]
    record = adapters.orders.get(ref(created["key"]))
    assert record is not None and record.status is OrderStatus.DATA_RECEIVED


def test_an_order_its_pack_does_not_list_yet_waits_for_a_later_notification(
    adapters: FakeAdapters, markets: Markets
) -> None:
    created = sale(markets, [[cup()], [cup()]], notify=False)
    pack = markets.fake.mercadolibre.packs[created["pack_id"]]
    listed = pack["orders"]
    pack["orders"] = listed[:1]  # Mercado Libre has not attached the second order yet
    markets.fake.mercadolibre.notify(ML_USER, "orders_v2", f"/orders/{created['orders'][1]}")
    deliver(adapters, markets)
    assert adapters.orders.records == {}
    pack["orders"] = listed
    markets.fake.mercadolibre.notify(ML_USER, "orders_v2", f"/orders/{created['orders'][1]}")
    deliver(adapters, markets)
    record = adapters.orders.get(ref(created["key"]))
    assert record is not None and len(record.order.lines) == 2
