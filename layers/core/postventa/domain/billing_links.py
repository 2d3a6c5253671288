"""The buyer's personal billing link: how long it lives and what state it is in.

One place for the rule "is this link still open", which the form page, the form submission, the
billing request and the reminders all follow.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.clock import epoch
from postventa.domain.orders import OrderRef
from postventa.domain.status import OrderStatus

# A submission claims its link before recording the data; a claim older than this is a
# submission that died half way (nothing recorded), so the link opens again for the buyer.
CLAIM_LEASE_SECONDS = 300
# The longest a link lives, whatever the tenant's deadline says.
MAX_LINK_DAYS = 7


class LinkState(StrEnum):
    OPEN = "open"  # the buyer may submit fiscal data
    USED = "used"  # a submission with this link is being recorded right now
    ANSWERED = "answered"  # the order has the buyer's data
    SUPERSEDED = "superseded"  # a newer link asks for corrected data; this one no longer works
    EXPIRED = "expired"  # too late: the link's time ran out or the order moved on without data
    ORDER_MISSING = "order_missing"  # the link names an order that does not exist


class BillingLink(BaseModel):
    """A stored link (only the token's SHA-256 is kept) and the lifecycle task it answers."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    ref: OrderRef
    token_hash: str
    task_token: str
    expires_at: int  # epoch seconds
    used_at: int | None = None  # epoch seconds of the submission's claim
    form_key: str = Field(repr=False, min_length=32)  # random per link: signs its form's posts
    round: int = Field(0, ge=0, description="0: the first request; n: the nth correction")

    def csrf_token(self) -> str:
        """The value the form page embeds and a post must send back: only a page we served
        for this link has it (cross-site request forgery protection beside the Origin check)."""
        mac = hmac.new(self.form_key.encode(), f"csrf:{self.token_hash}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def accepts_csrf(self, value: str) -> bool:
        return hmac.compare_digest(self.csrf_token().encode(), value.encode("utf-8", "replace"))

    def is_expired(self, now: int) -> bool:
        return now >= self.expires_at

    def claimed(self, now: int) -> bool:
        return self.used_at is not None and now - self.used_at < CLAIM_LEASE_SECONDS

    def state(
        self, order_status: OrderStatus | None, now: int, current_round: int = 0
    ) -> LinkState:
        """`current_round`: the order's correction round (OrderRecord.correction_rounds); a link
        of an earlier round was answered and replaced by a newer one."""
        if order_status is not None and order_status.has_buyer_data:
            return LinkState.ANSWERED
        if self.round < current_round:
            return LinkState.SUPERSEDED
        if order_status is None:
            if self.used_at is not None:
                return LinkState.USED
            return LinkState.EXPIRED if self.is_expired(now) else LinkState.ORDER_MISSING
        if not order_status.awaits_buyer_data:
            return LinkState.EXPIRED  # global invoice, cancelled, error: no data can be taken
        if self.claimed(now):
            return LinkState.USED
        return LinkState.EXPIRED if self.is_expired(now) else LinkState.OPEN


def link_expiry(
    paid_at: datetime,
    now: datetime,
    deadline_seconds: int,
    *,
    period_end: datetime | None = None,
    max_days: int = MAX_LINK_DAYS,
) -> int | None:
    """When a new link stops taking data (epoch seconds), or None when it is already too late.

    The buyer's time counts from the payment, not from when the order reached us (a late
    webhook, an imported order): the earliest of the payment plus the tenant's deadline,
    `max_days` from now, and the end of the order's global-invoice period (after it the sale
    belongs to that period's global invoice). An order paid longer ago than the deadline gets
    no link."""
    bounds = [epoch(paid_at) + deadline_seconds, epoch(now) + max_days * 24 * 3600]
    if period_end is not None:
        bounds.append(epoch(period_end))
    expires_at = min(bounds)
    return expires_at if expires_at > epoch(now) else None


def correction_expiry(now: datetime, deadline_seconds: int, max_days: int = MAX_LINK_DAYS) -> int:
    """A correction link's end: the buyer already answered once, so the time to correct counts
    from the request to correct (the state machine waits the same deadline)."""
    return epoch(now) + min(deadline_seconds, max_days * 24 * 3600)
