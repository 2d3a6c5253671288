"""An order's invoice status and every move between statuses, as one table.

Each move is a named `Transition` (what happened to the order), with the statuses it may start
from and the one it leads to. Storage applies a transition with one conditional write (the order
must be in one of `sources`), so two racing writers cannot both move an order; services, pages
and the state machine's DynamoDB conditions follow this table (tests/unit/domain checks that the
ASL agrees with it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class OrderStatus(StrEnum):
    """Billing status of an order (DOMAIN.md: pendiente, facturado, cancelado/error)."""

    RECEIVED = "recibido"
    BILLING_REQUESTED = "solicitud_enviada"  # link sent, waiting for the buyer's data
    DATA_RECEIVED = "datos_recibidos"
    INVOICED = "facturado"
    GLOBAL = "global"  # deadline passed: goes into the periodic global invoice
    CANCELLED = "cancelado"
    ERROR = "error"

    @property
    def awaits_buyer_data(self) -> bool:
        """The lifecycle is waiting for the buyer's fiscal data (a billing link may be used)."""
        return self in _AWAITING_DATA

    @property
    def has_buyer_data(self) -> bool:
        """The buyer's fiscal data was taken for this order."""
        return self in _WITH_DATA


_AWAITING_DATA = frozenset({OrderStatus.RECEIVED, OrderStatus.BILLING_REQUESTED})
_WITH_DATA = frozenset({OrderStatus.DATA_RECEIVED, OrderStatus.INVOICED})


class Transition(NamedTuple):
    """One thing that happens to an order: from any of `sources` to `target`."""

    name: str
    sources: frozenset[OrderStatus]
    target: OrderStatus


def _t(name: str, sources: set[OrderStatus], target: OrderStatus) -> Transition:
    return Transition(name, frozenset(sources), target)


S = OrderStatus

# The link went out (or could not: no email), the buyer is now expected to answer.
BILLING_REQUESTED = _t("billing_requested", {S.RECEIVED}, S.BILLING_REQUESTED)
# The buyer submitted valid fiscal data through the form.
BUYER_DATA_SUBMITTED = _t(
    "buyer_data_submitted", {S.RECEIVED, S.BILLING_REQUESTED}, S.DATA_RECEIVED
)
# The deadline passed with no data: the order goes into the periodic global invoice.
# (The state machine's MarkForGlobalInvoice state writes this one.)
DEADLINE_PASSED = _t("deadline_passed", {S.RECEIVED, S.BILLING_REQUESTED}, S.GLOBAL)
# Data was recorded, but the lifecycle had already stopped waiting for it (the deadline won).
BUYER_DATA_TOO_LATE = _t("buyer_data_too_late", {S.DATA_RECEIVED}, S.GLOBAL)

# The order was stored but cannot be invoiced as it is (e.g. a currency whose legal rate we cannot
# obtain): it stops in `error` with the reason, and no lifecycle starts.
ORDER_NOT_INVOICEABLE = _t("order_not_invoiceable", {S.RECEIVED}, S.ERROR)
# Asking the buyer failed for good (the SendBillingRequest task failed after its retries).
BILLING_REQUEST_FAILED = _t("billing_request_failed", {S.RECEIVED, S.BILLING_REQUESTED}, S.ERROR)

# The order was received but its lifecycle ended (or was lost) without ever asking the buyer:
# found by the sweep, so no order waits in `recibido` unnoticed.
LIFECYCLE_LOST = _t("lifecycle_lost", {S.RECEIVED}, S.ERROR)

TRANSITIONS: tuple[Transition, ...] = (
    BILLING_REQUESTED,
    BUYER_DATA_SUBMITTED,
    DEADLINE_PASSED,
    BUYER_DATA_TOO_LATE,
    ORDER_NOT_INVOICEABLE,
    BILLING_REQUEST_FAILED,
    LIFECYCLE_LOST,
)


def next_statuses(status: OrderStatus) -> frozenset[OrderStatus]:
    """Every status an order in `status` can move to."""
    return frozenset(t.target for t in TRANSITIONS if status in t.sources)
