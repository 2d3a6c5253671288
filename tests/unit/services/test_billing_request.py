"""SendBillingRequest: one email with a personal link, the order marked as asked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from postventa.domain.clock import epoch
from postventa.domain.status import OrderStatus
from postventa.errors import NotFoundError
from postventa.services.billing_request import BillingRequestTask, send_billing_request
from tests.support import builders
from tests.support.fakes import FakeAdapters

DAY = 24 * 3600


def task(order_id: str = "1001", deadline: int = 7 * DAY) -> BillingRequestTask:
    return BillingRequestTask.model_validate(
        {
            "task_token": "token-de-tarea",
            "order": {"tenant_id": "tienda", "channel": "shopify", "order_id": order_id},
            "deadline_seconds": deadline,
        }
    )


def test_the_buyer_gets_one_email_whose_link_opens_the_order(adapters: FakeAdapters) -> None:
    adapters.orders.add(builders.order())
    outcome = send_billing_request(task(), adapters)
    assert outcome.sent and outcome.reason == "enviado"
    [email] = adapters.mailer.sent
    assert email.to == "comprador@example.com"
    assert "#1001" in email.subject
    match = re.search(r"https://facturas\.example\.test/facturar/([A-Za-z0-9_-]{40,})", email.text)
    assert match, email.text
    link = adapters.links.find(match.group(1))
    assert link is not None and link.task_token == "token-de-tarea"
    assert "$599.00 MXN" in email.text and "Tienda de Barro" in email.text
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.status is OrderStatus.BILLING_REQUESTED
    assert adapters.events.types() == ["BillingRequested"]


def test_the_link_lives_the_tenants_deadline_counted_from_the_payment(
    adapters: FakeAdapters,
) -> None:
    paid = adapters.clock.now() - timedelta(hours=30)
    adapters.orders.add(builders.order(paid_at=paid))
    send_billing_request(task(deadline=2 * DAY), adapters)
    [(link, _token)] = adapters.links.created
    assert link.expires_at == epoch(paid) + 2 * DAY  # 18 hours from now, not 48


def test_an_order_paid_longer_ago_than_the_deadline_gets_no_link(adapters: FakeAdapters) -> None:
    # The sample Shopify order was paid in June 2025; seen now, its time is long over.
    adapters.orders.add(builders.order(paid_at=datetime(2025, 6, 12, 17, 2, 36, tzinfo=UTC)))
    outcome = send_billing_request(task(), adapters)
    assert not outcome.sent and outcome.reason == "plazo_vencido"
    assert adapters.mailer.sent == [] and adapters.links.created == []
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.billing_request_skipped == "plazo_vencido"
    assert record.status is OrderStatus.RECEIVED  # the lifecycle's deadline moves it on


def test_a_link_never_lives_more_than_seven_days(adapters: FakeAdapters) -> None:
    adapters.orders.add(builders.order())
    send_billing_request(task(deadline=30 * DAY), adapters)
    [(link, _token)] = adapters.links.created
    assert link.expires_at == epoch(adapters.clock.now()) + 7 * DAY


def test_an_order_without_email_is_noted_and_nothing_is_sent(adapters: FakeAdapters) -> None:
    adapters.orders.add(builders.order(email=None))
    outcome = send_billing_request(task(), adapters)
    assert not outcome.sent and outcome.reason == "sin_email"
    assert adapters.mailer.sent == [] and adapters.links.created == []
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.billing_request_skipped == "sin_email"
    assert record.status is OrderStatus.RECEIVED


def test_an_unknown_order_is_an_error_the_state_machine_sees(adapters: FakeAdapters) -> None:
    with pytest.raises(NotFoundError):
        send_billing_request(task("no-existe"), adapters)
