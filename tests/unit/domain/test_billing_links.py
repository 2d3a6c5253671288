"""A billing link's state, from the link and its order's status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postventa.domain.billing_links import (
    CLAIM_LEASE_SECONDS,
    BillingLink,
    LinkState,
    link_expiry,
)
from postventa.domain.orders import OrderRef
from postventa.domain.status import OrderStatus
from postventa.domain.tenants import Tenant

NOW = 1_800_000_000
DAY = 24 * 3600
REF = OrderRef(tenant_id="t", channel="shopify", order_id="1")


def link(expires_in: int = 3600, used_ago: int | None = None) -> BillingLink:
    return BillingLink(
        ref=REF,
        token_hash="h",
        task_token="tt",
        expires_at=NOW + expires_in,
        used_at=None if used_ago is None else NOW - used_ago,
        form_key="k" * 43,
    )


@pytest.mark.parametrize(
    ("the_link", "status", "state"),
    [
        (link(), OrderStatus.BILLING_REQUESTED, LinkState.OPEN),
        (link(), OrderStatus.RECEIVED, LinkState.OPEN),
        (link(expires_in=0), OrderStatus.BILLING_REQUESTED, LinkState.EXPIRED),
        (link(), OrderStatus.DATA_RECEIVED, LinkState.ANSWERED),
        (link(expires_in=-99), OrderStatus.INVOICED, LinkState.ANSWERED),
        (link(used_ago=10), OrderStatus.BILLING_REQUESTED, LinkState.USED),
        (link(used_ago=CLAIM_LEASE_SECONDS), OrderStatus.BILLING_REQUESTED, LinkState.OPEN),
        (link(used_ago=10), OrderStatus.GLOBAL, LinkState.EXPIRED),
        (link(), OrderStatus.GLOBAL, LinkState.EXPIRED),
        (link(), OrderStatus.ERROR, LinkState.EXPIRED),
        (link(), OrderStatus.CANCELLED, LinkState.ANSWERED),
        (link(), OrderStatus.CORRECTION, LinkState.OPEN),
        (link(), None, LinkState.ORDER_MISSING),
        (link(used_ago=10), None, LinkState.USED),
        (link(expires_in=-1), None, LinkState.EXPIRED),
    ],
)
def test_link_state(the_link: BillingLink, status: OrderStatus | None, state: LinkState) -> None:
    assert the_link.state(status, NOW) is state


def test_a_link_for_an_order_paid_just_now_lives_the_shorter_of_the_deadline_and_a_week() -> None:
    now = datetime.fromtimestamp(NOW, UTC)
    assert link_expiry(now, now, 3600) == NOW + 3600
    assert link_expiry(now, now, 30 * DAY) == NOW + 7 * DAY


def test_the_deadline_counts_from_the_payment_not_from_when_the_order_arrived() -> None:
    now = datetime.fromtimestamp(NOW, UTC)
    paid = now - timedelta(days=2)
    assert link_expiry(paid, now, 3 * DAY) == NOW + DAY  # a day of the three is left
    # The sample order paid in June 2025 and seen in November 2026 gets no link at all.
    june_2025 = datetime(2025, 6, 12, 17, 2, 36, tzinfo=UTC)
    assert link_expiry(june_2025, datetime(2026, 11, 26, tzinfo=UTC), 7 * DAY) is None
    assert link_expiry(paid, now, 2 * DAY) is None  # exactly at the deadline: too late


def test_a_link_never_outlives_the_orders_global_invoice_period() -> None:
    now = datetime.fromtimestamp(NOW, UTC)
    period_end = now + timedelta(hours=5)
    assert link_expiry(now, now, 7 * DAY, period_end=period_end) == NOW + 5 * 3600
    assert link_expiry(now, now, 3600, period_end=period_end) == NOW + 3600
    assert link_expiry(now, now, 7 * DAY, period_end=now) is None  # the period already closed


def test_the_close_of_the_sales_global_invoice_period_bounds_a_new_link() -> None:
    from postventa.domain.global_periods import global_period_end

    tenant = Tenant(tenant_id="t", name="Tienda")  # monthly by default
    paid = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    close = global_period_end(tenant, paid)
    assert close > paid and close - paid < timedelta(days=1)  # the month closes that night
    now = paid + timedelta(minutes=5)
    assert link_expiry(paid, now, 7 * DAY, period_end=close) == int(close.timestamp())


def test_the_csrf_token_is_the_links_own_and_checked_in_constant_time() -> None:
    one, other = link(), link().model_copy(update={"form_key": "o" * 43})
    assert one.accepts_csrf(one.csrf_token())
    assert not one.accepts_csrf(other.csrf_token())
    assert not one.accepts_csrf("") and not one.accepts_csrf("é" * 64)
