"""An order's invoice status and every move between statuses, as one table.

Each move is a named `Transition` (what happened to the order), with the statuses it may start
from and the one it leads to. Storage applies a transition with one conditional write (the order
must be in one of `sources`), so two racing writers cannot both move an order; services, pages
and the state machine's DynamoDB conditions follow this table (tests/unit/domain checks that the
ASL agrees with it).

The life of an order (docs/decisions/0011-invoice-lifecycle.md):

    recibido -> solicitud_enviada -> datos_recibidos [-> en_bandeja] -> timbrando -> facturada
                                                      \\-> sin_folios -/     |
    waiting for the buyer's data, the deadline passes -> global            \\-> correccion -> ...
    anything that stops the invoice -> error (with the reason and what fixes it) -> retry

After the deadline (docs/decisions/0015-global-invoice-and-cancellations.md):

    global -> en_factura_global                 the period's global invoice includes the sale
    global -> datos_recibidos                   the buyer asked before that global was issued
    en_factura_global -> solicitud_tardia -> datos_recibidos -> ... -> facturada
                      the buyer asked later: the global is cancelled (motivo 04) and re-issued
                      without the sale, then the sale gets its own invoice
    facturada -> cancelacion_pendiente -> cancelada | facturada (rejected: the invoice stays valid)
    facturada -> sustituyendo -> facturada      motivo 01: the substitute first, then the cancel
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class OrderStatus(StrEnum):
    """Billing status of an order, as the seller and the buyer read it."""

    RECEIVED = "recibido"
    BILLING_REQUESTED = "solicitud_enviada"  # link sent, waiting for the buyer's data
    DATA_RECEIVED = "datos_recibidos"
    IN_INBOX = "en_bandeja"  # auto-invoicing off: the seller approves or rejects
    NO_FOLIOS = "sin_folios"  # waiting for the tenant to get folios; continues by itself
    STAMPING = "timbrando"  # a folio is reserved; building, sealing and stamping
    CORRECTION = "correccion"  # the PAC or the seller refused the buyer's data: asked again
    INVOICED = "facturada"
    GLOBAL = "global"  # deadline passed: goes into the periodic global invoice
    IN_GLOBAL_INVOICE = "en_factura_global"  # a stamped (or stamping) global invoice includes it
    LATE_REQUEST = "solicitud_tardia"  # the buyer asked after the global: re-issue under way
    SUBSTITUTING = "sustituyendo"  # motivo 01: the substitute invoice is being issued
    CANCELLATION_PENDING = "cancelacion_pendiente"  # waiting for the receptor's answer
    CANCELLED = "cancelada"
    ERROR = "error"

    @property
    def awaits_buyer_data(self) -> bool:
        """The lifecycle is waiting for the buyer's fiscal data (a billing link may be used)."""
        return self in _AWAITING_DATA

    @property
    def has_buyer_data(self) -> bool:
        """The buyer's fiscal data was taken for this order."""
        return self in _WITH_DATA


S = OrderStatus

_AWAITING_DATA = frozenset({S.RECEIVED, S.BILLING_REQUESTED, S.CORRECTION})
_WITH_DATA = frozenset(
    {
        S.DATA_RECEIVED,
        S.IN_INBOX,
        S.NO_FOLIOS,
        S.STAMPING,
        S.INVOICED,
        S.CANCELLATION_PENDING,
        S.CANCELLED,
        S.LATE_REQUEST,
        S.SUBSTITUTING,
    }
)


class Transition(NamedTuple):
    """One thing that happens to an order: from any of `sources` to `target`."""

    name: str
    sources: frozenset[OrderStatus]
    target: OrderStatus


def _t(name: str, sources: set[OrderStatus], target: OrderStatus) -> Transition:
    return Transition(name, frozenset(sources), target)


# ---------------------------------------------------------------- asking the buyer
# The link went out, the buyer is now expected to answer.
BILLING_REQUESTED = _t("billing_requested", {S.RECEIVED}, S.BILLING_REQUESTED)
# The buyer submitted valid fiscal data through the form (first time or corrected).
BUYER_DATA_SUBMITTED = _t("buyer_data_submitted", set(_AWAITING_DATA), S.DATA_RECEIVED)
# The deadline passed with no data: the order goes into the periodic global invoice.
# (The state machine's MarkForGlobalInvoice state writes this one.)
DEADLINE_PASSED = _t("deadline_passed", set(_AWAITING_DATA), S.GLOBAL)
# Data was recorded, but the lifecycle had already stopped waiting for it (the deadline won).
BUYER_DATA_TOO_LATE = _t("buyer_data_too_late", {S.DATA_RECEIVED}, S.GLOBAL)
# Asking the buyer failed for good (the SendBillingRequest task failed after its retries).
BILLING_REQUEST_FAILED = _t("billing_request_failed", {S.RECEIVED, S.BILLING_REQUESTED}, S.ERROR)

# ---------------------------------------------------------------- invoicing
# Auto-invoicing is off: the seller looks at the data first.
HELD_IN_INBOX = _t("held_in_inbox", {S.DATA_RECEIVED}, S.IN_INBOX)
# The seller rejected the data (with a reason the buyer reads), or the PAC refused it.
SELLER_REJECTED_DATA = _t("seller_rejected_data", {S.IN_INBOX}, S.CORRECTION)
PAC_REJECTED_DATA = _t("pac_rejected_data", {S.STAMPING}, S.CORRECTION)
# A folio is held for this order's invoice: stamping may start.
FOLIO_RESERVED = _t(
    "folio_reserved", {S.DATA_RECEIVED, S.IN_INBOX, S.NO_FOLIOS, S.STAMPING}, S.STAMPING
)
# None left: the order waits, and continues by itself when folios are added.
FOLIOS_EXHAUSTED = _t("folios_exhausted", {S.DATA_RECEIVED, S.IN_INBOX}, S.NO_FOLIOS)
STAMPED = _t("stamped", {S.STAMPING}, S.INVOICED)
# Anything that stops the invoice until the seller acts (keys, CSD, PAC account, rounds).
INVOICING_FAILED = _t(
    "invoicing_failed",
    {S.DATA_RECEIVED, S.IN_INBOX, S.NO_FOLIOS, S.STAMPING, S.CORRECTION},
    S.ERROR,
)
# The seller fixed the cause and retries: back to where the data is, or to the start.
RETRIED_WITH_DATA = _t("retried_with_data", {S.ERROR}, S.DATA_RECEIVED)
RETRIED_FROM_START = _t("retried_from_start", {S.ERROR}, S.RECEIVED)

# ---------------------------------------------------------------- the global invoice
# The period's global invoice takes the order (claimed before the CFDI is sealed, so a buyer's
# late request and the global job can never both take it).
INCLUDED_IN_GLOBAL = _t("included_in_global", {S.GLOBAL}, S.IN_GLOBAL_INVOICE)
# The buyer asked after the deadline, before the period's global was issued: invoiced on its own.
LATE_DATA_BEFORE_GLOBAL = _t("late_data_before_global", {S.GLOBAL}, S.DATA_RECEIVED)
# The buyer asked after the global was issued: it is cancelled (motivo 04) and re-issued.
LATE_REQUEST_RECEIVED = _t("late_request_received", {S.IN_GLOBAL_INVOICE}, S.LATE_REQUEST)
# The global was re-issued without the sale: now it gets its own invoice.
REMOVED_FROM_GLOBAL = _t("removed_from_global", {S.LATE_REQUEST}, S.DATA_RECEIVED)
# The re-issue could not be done (the PAC refused to cancel the global): the sale stays in it.
LATE_REQUEST_FAILED = _t("late_request_failed", {S.LATE_REQUEST}, S.IN_GLOBAL_INVOICE)

# ---------------------------------------------------------------- after the invoice
CANCELLATION_REQUESTED = _t("cancellation_requested", {S.INVOICED}, S.CANCELLATION_PENDING)
# The receptor rejected the cancellation: the invoice stays valid.
CANCELLATION_REJECTED = _t("cancellation_rejected", {S.CANCELLATION_PENDING}, S.INVOICED)
# The PAC or SAT refused the request itself (e.g. past the CFF 29-A deadline): still valid.
CANCELLATION_FAILED = _t("cancellation_failed", {S.CANCELLATION_PENDING}, S.INVOICED)
INVOICE_CANCELLED = _t("invoice_cancelled", {S.INVOICED, S.CANCELLATION_PENDING}, S.CANCELLED)
# Motivo 01: the substitute is issued first (related with TipoRelacion 04), then the old invoice
# is cancelled naming it; the order's invoice is the substitute from then on.
SUBSTITUTION_STARTED = _t("substitution_started", {S.INVOICED}, S.SUBSTITUTING)
SUBSTITUTE_STAMPED = _t("substitute_stamped", {S.SUBSTITUTING}, S.INVOICED)
SUBSTITUTION_FAILED = _t("substitution_failed", {S.SUBSTITUTING}, S.INVOICED)

# ---------------------------------------------------------------- never invoiced
# The order was stored but cannot be invoiced as it is (e.g. a currency whose legal rate we cannot
# obtain): it stops in `error` with the reason, and no lifecycle starts.
ORDER_NOT_INVOICEABLE = _t("order_not_invoiceable", {S.RECEIVED}, S.ERROR)
# The order's lifecycle ended (or was lost) before it asked the buyer, or with the buyer's data
# but before invoicing: found by the sweep, so no order waits in `recibido` or `datos_recibidos`
# unnoticed.
LIFECYCLE_LOST = _t("lifecycle_lost", {S.RECEIVED, S.DATA_RECEIVED}, S.ERROR)

TRANSITIONS: tuple[Transition, ...] = (
    BILLING_REQUESTED,
    BUYER_DATA_SUBMITTED,
    DEADLINE_PASSED,
    BUYER_DATA_TOO_LATE,
    BILLING_REQUEST_FAILED,
    HELD_IN_INBOX,
    SELLER_REJECTED_DATA,
    PAC_REJECTED_DATA,
    FOLIO_RESERVED,
    FOLIOS_EXHAUSTED,
    STAMPED,
    INVOICING_FAILED,
    RETRIED_WITH_DATA,
    RETRIED_FROM_START,
    INCLUDED_IN_GLOBAL,
    LATE_DATA_BEFORE_GLOBAL,
    LATE_REQUEST_RECEIVED,
    REMOVED_FROM_GLOBAL,
    LATE_REQUEST_FAILED,
    CANCELLATION_REQUESTED,
    CANCELLATION_REJECTED,
    CANCELLATION_FAILED,
    INVOICE_CANCELLED,
    SUBSTITUTION_STARTED,
    SUBSTITUTE_STAMPED,
    SUBSTITUTION_FAILED,
    ORDER_NOT_INVOICEABLE,
    LIFECYCLE_LOST,
)


def next_statuses(status: OrderStatus) -> frozenset[OrderStatus]:
    """Every status an order in `status` can move to."""
    return frozenset(t.target for t in TRANSITIONS if status in t.sources)
