"""The buyer's billing form: what to show for a link, and taking the fiscal data it submits.

Services decide; `web/billing_pages.py` turns each outcome into the page a buyer reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from postventa.domain.billing_links import BillingLink, LinkState
from postventa.domain.clock import epoch, iso
from postventa.domain.orders import Order, OrderRecord
from postventa.domain.ports import Adapters, TaskClosedError
from postventa.domain.status import BUYER_DATA_SUBMITTED, BUYER_DATA_TOO_LATE, OrderStatus
from postventa.observability import bind_order, logger
from postventa.services import fiscal_form, late_requests


@dataclass(frozen=True)
class LinkNotFound:
    """No such link, or it names an order that does not exist."""


@dataclass(frozen=True)
class LinkExpired:
    """The link's time ran out, or the order moved on (global invoice) without the buyer's data."""


@dataclass(frozen=True)
class LateRequestClosed:
    """The sale went into the global invoice and the seller's cut-off for asking later passed:
    the buyer is asked to contact the seller."""

    seller_name: str


@dataclass(frozen=True)
class LinkSuperseded:
    """The buyer was asked to correct their data with a newer link; this one no longer works."""


@dataclass(frozen=True)
class CrossOriginRejected:
    """A post that did not come from our own form page."""


@dataclass(frozen=True)
class MalformedPost:
    """A body our own form cannot have sent."""


@dataclass(frozen=True)
class DataReceived:
    """The buyer's data is in: `just_now` for this very submission, else on a later visit."""

    order_number: str | None
    email: str
    just_now: bool
    late: str | None = None  # a late request's case (services/late_requests.LateCase)


@dataclass(frozen=True)
class FormToFill:
    """The form, empty or with what the buyer typed and a message per field in error."""

    order: Order
    seller_name: str
    expires_at: int | None  # None: a late request with no cut-off ahead
    csrf: str
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    # True when the errors are this submission's (422); False for the first view, or a
    # correction request showing why the last data was refused (200).
    rejected: bool = False
    # After the deadline: which case applies (services/late_requests.LateCase), else None.
    late: str | None = None


FormOutcome = (
    LinkNotFound
    | LinkExpired
    | LateRequestClosed
    | LinkSuperseded
    | CrossOriginRejected
    | MalformedPost
    | DataReceived
    | FormToFill
)


def show_form(token: str, adapters: Adapters) -> FormOutcome:
    link = adapters.links.find(token)
    if link is None:
        return LinkNotFound()
    bind_order(link.ref.tenant_id, link.ref.channel, link.ref.order_id)
    record = _open_order(link, adapters)
    if not isinstance(record, OrderRecord):
        return record
    if record.status is OrderStatus.CORRECTION and record.fiscal_data:
        # Asked to correct: the data they sent, and the complaint beside the field it concerns
        # ("datos" when it concerns no one field, e.g. the seller's reason).
        values = {f: str(record.fiscal_data.get(f) or "") for f in fiscal_form.FIELDS}
        correction = record.correction
        errors = {(correction.field or "datos"): [correction.message]} if correction else {}
        return _form(link, record, values, errors, adapters)
    values = {**dict.fromkeys(fiscal_form.FIELDS, ""), "email": record.order.buyer.email or ""}
    return _form(link, record, values, {}, adapters)


def submit_form(token: str, body: str, *, same_origin: bool, adapters: Adapters) -> FormOutcome:
    link = adapters.links.find(token)
    if link is None:
        return LinkNotFound()
    bind_order(link.ref.tenant_id, link.ref.channel, link.ref.order_id)
    if not same_origin:
        logger.warning("billing form post from another origin rejected")
        return CrossOriginRejected()
    record = _open_order(link, adapters)
    if not isinstance(record, OrderRecord):
        return record
    try:
        posted = fiscal_form.parse_form(body)
    except fiscal_form.MalformedFormError:
        logger.warning("billing form post with too many fields rejected")
        return MalformedPost()
    if not link.accepts_csrf(posted[fiscal_form.CSRF_FIELD]):
        logger.warning("billing form post without this page's csrf token rejected")
        return CrossOriginRejected()
    values, errors = fiscal_form.check(posted)
    if errors:
        logger.info("billing form has errors", extra={"fields": sorted(errors)})
        return _form(link, record, values, errors, adapters, rejected=True)
    return _accept(link, record, values, adapters)


def _open_order(link: BillingLink, adapters: Adapters) -> OrderRecord | FormOutcome:
    """The link's order when the link is open; otherwise what the buyer is told instead."""
    record = adapters.orders.get(link.ref)
    state = link.state(
        record.status if record else None,
        epoch(adapters.clock.now()),
        record.correction_rounds if record else 0,
    )
    if state is LinkState.OPEN and record is not None:
        return record
    if state in (LinkState.ANSWERED, LinkState.USED):
        return _already_received(record)
    if state is LinkState.ORDER_MISSING:
        return LinkNotFound()
    if state is LinkState.SUPERSEDED:
        return LinkSuperseded()
    late = _late_window(record, adapters)
    if late is not None and record is not None:
        if late.open:
            return record  # past the deadline, the buyer may still ask (docs/decisions/0015)
        tenant = adapters.tenants.get(link.ref.tenant_id)
        return LateRequestClosed(tenant.name if tenant else "")
    return LinkExpired()


def _form_expiry(link: BillingLink, late: late_requests.LateWindow | None) -> int | None:
    """When the form stops taking data: the link's expiry, or after the deadline the cut-off
    for late requests (None when no cut-off lies ahead)."""
    if late is None:
        return link.expires_at
    return epoch(late.until) if late.until else None


def _late_window(record: OrderRecord | None, adapters: Adapters) -> late_requests.LateWindow | None:
    tenant = adapters.tenants.get(record.ref.tenant_id) if record else None
    if record is None or tenant is None:
        return None
    return late_requests.window(record, tenant, adapters.clock.now())


def _already_received(record: OrderRecord | None) -> DataReceived:
    fiscal = (record.fiscal_data if record else None) or {}
    number = record.order.display_number if record else None
    return DataReceived(number, str(fiscal.get("email") or ""), just_now=False)


def _accept(
    link: BillingLink, record: OrderRecord, values: dict[str, str], adapters: Adapters
) -> FormOutcome:
    now = adapters.clock.now()
    if not adapters.links.claim(link, epoch(now)):
        # Double submit: the first one is being (or was) handled, with its own data.
        return _already_received(adapters.orders.get(link.ref) or record)
    try:
        return _record(link, record, values, iso(now), adapters)
    except Exception:
        # Nothing was recorded: the buyer must be able to submit again, not be told we have it.
        adapters.links.release(link)
        raise


def _record(
    link: BillingLink, record: OrderRecord, values: dict[str, str], at: str, adapters: Adapters
) -> FormOutcome:
    ref = link.ref
    fiscal_data: dict[str, Any] = {k: values[k] for k in fiscal_form.FIELDS}
    late = _late_window(record, adapters)
    if late is not None:
        if late_requests.record_late_request(ref, fiscal_data, at, adapters):
            number = record.order.display_number
            return DataReceived(number, values["email"], just_now=True, late=late.case.value)
        current = adapters.orders.get(ref) or record
        return _already_received(current) if current.status.has_buyer_data else LinkExpired()
    moved = adapters.orders.apply(
        ref,
        BUYER_DATA_SUBMITTED,
        extra={"fiscal_data": fiscal_data, "billing_data_at": at, "correction": None},
    )
    if not moved:
        return _already_received(adapters.orders.get(ref) or record)
    try:
        # Only a reference travels: fiscal data stays in DynamoDB, out of execution history.
        adapters.lifecycle.complete_task(
            link.task_token, {**ref.model_dump(), "billing_data_at": at}
        )
    except TaskClosedError:
        adapters.orders.apply(ref, BUYER_DATA_TOO_LATE)
        logger.warning("billing data arrived after the lifecycle stopped waiting")
        return LinkExpired()
    logger.info("billing data received")
    return DataReceived(record.order.display_number, values["email"], just_now=True)


def _form(
    link: BillingLink,
    record: OrderRecord,
    values: dict[str, str],
    errors: dict[str, list[str]],
    adapters: Adapters,
    *,
    rejected: bool = False,
) -> FormToFill:
    tenant = adapters.tenants.get(link.ref.tenant_id)
    late = _late_window(record, adapters)
    return FormToFill(
        order=record.order,
        seller_name=tenant.name if tenant else "",
        expires_at=_form_expiry(link, late),
        csrf=link.csrf_token(),
        values=values,
        errors=errors,
        rejected=rejected,
        late=late.case.value if late else None,
    )
