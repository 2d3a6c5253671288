"""A billing link's state, from the link and its order's status."""

from __future__ import annotations

import pytest

from postventa.domain.billing_links import (
    CLAIM_LEASE_SECONDS,
    BillingLink,
    LinkState,
    link_expiry,
)
from postventa.domain.orders import OrderRef
from postventa.domain.status import OrderStatus

NOW = 1_800_000_000
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


def test_a_link_lives_the_shorter_of_seven_days_and_the_tenants_deadline() -> None:
    assert link_expiry(NOW, 3600) == NOW + 3600
    assert link_expiry(NOW, 30 * 24 * 3600) == NOW + 7 * 24 * 3600


def test_the_csrf_token_is_the_links_own_and_checked_in_constant_time() -> None:
    one, other = link(), link().model_copy(update={"form_key": "o" * 43})
    assert one.accepts_csrf(one.csrf_token())
    assert not one.accepts_csrf(other.csrf_token())
    assert not one.accepts_csrf("") and not one.accepts_csrf("é" * 64)
