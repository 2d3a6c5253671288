"""The buyer's billing form: what to show for a link, and taking the fiscal data it submits.

Services decide; `web/billing_pages.py` turns each outcome into the page a buyer reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from postventa.domain.billing_links import BillingLink, LinkState
from postventa.domain.clock import epoch, iso
from postventa.domain.orders import Order, OrderRecord
from postventa.domain.ports import Adapters, TaskClosedError
from postventa.domain.status import BUYER_DATA_SUBMITTED, BUYER_DATA_TOO_LATE, OrderStatus
from postventa.domain.tenants import Tenant
from postventa.observability import bind_order, logger
from postventa.services import fiscal_form, late_requests
from postventa.services.fiscal_form import CheckedForm, Choices, RfcConfirmation


@dataclass(frozen=True)
class LinkNotFound:
    """No such link, or it names an order that does not exist."""


class ClosedBecause(StrEnum):
    """Why an order no longer takes the buyer's data (the page says which applies)."""

    DEADLINE = "plazo"  # the time counted from the payment ran out: the global invoice takes it
    STOPPED = "detenido"  # the order stopped in error before the buyer answered


@dataclass(frozen=True)
class LinkExpired:
    """The link's time ran out, or the order moved on without the buyer's data. `ended_at`:
    when the time ran out (epoch seconds), when known."""

    because: ClosedBecause = ClosedBecause.DEADLINE
    ended_at: int | None = None


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


class Progress(StrEnum):
    """Where the buyer's invoice is, as the page that follows their link shows it."""

    RECEIVED = "recibidos"  # the data is in; nothing else happened yet
    IN_PROGRESS = "en_proceso"  # the seller's review, folios, stamping: on its way
    INVOICED = "facturada"
    CANCELLED = "cancelada"


_PROGRESS = {
    OrderStatus.DATA_RECEIVED: Progress.RECEIVED,
    OrderStatus.IN_INBOX: Progress.IN_PROGRESS,
    OrderStatus.NO_FOLIOS: Progress.IN_PROGRESS,
    OrderStatus.STAMPING: Progress.IN_PROGRESS,
    OrderStatus.INVOICED: Progress.INVOICED,
    OrderStatus.CANCELLATION_PENDING: Progress.INVOICED,
    OrderStatus.CANCELLED: Progress.CANCELLED,
}
# A download link on the buyer's page works for this long (the page makes a new one each visit).
DOWNLOAD_SECONDS = 15 * 60


@dataclass(frozen=True)
class DataReceived:
    """The buyer's data is in: `just_now` for this very submission, else on a later visit,
    with how far the invoice got and, once stamped, its XML and PDF to download."""

    order_number: str | None
    email: str
    just_now: bool
    progress: Progress = Progress.RECEIVED
    downloads: tuple[tuple[str, str], ...] = ()  # (label, link that expires)
    late: str | None = None  # a late request's case (services/late_requests.LateCase)


@dataclass(frozen=True)
class FormToFill:
    """The form, empty or with what the buyer typed and a message per field in error; the
    choices that fit what was typed, and whether "mi RFC es correcto" is offered or given."""

    order: Order
    seller_name: str
    expires_at: int | None  # None: a late request with no cut-off ahead
    csrf: str
    values: dict[str, str]
    choices: Choices
    errors: dict[str, list[str]] = field(default_factory=dict)
    rfc_confirmation: RfcConfirmation = RfcConfirmation.NOT_NEEDED
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
    tenant = adapters.tenants.get(link.ref.tenant_id)
    if record.status is OrderStatus.CORRECTION and record.fiscal_data:
        # Asked to correct: the data they sent, and the complaint beside the field it concerns
        # ("datos" when it concerns no one field, e.g. the seller's reason).
        shown = fiscal_form.blank(
            {f: str(record.fiscal_data.get(f) or "") for f in fiscal_form.FIELDS}
        )
        correction = record.correction
        if correction is not None:
            shown = replace(shown, errors={(correction.field or "datos"): [correction.message]})
        return _form(link, record, tenant, shown, adapters)
    values = {**dict.fromkeys(fiscal_form.FIELDS, ""), "email": record.order.buyer.email or ""}
    return _form(link, record, tenant, fiscal_form.blank(values), adapters)


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
    tenant = adapters.tenants.get(link.ref.tenant_id)
    checked = fiscal_form.check(posted, lugar_expedicion=_issuer_cp(tenant))
    if checked.errors:
        logger.info("billing form has errors", extra={"fields": sorted(checked.errors)})
        return _form(link, record, tenant, checked, adapters, rejected=True)
    return _accept(link, record, checked.fiscal_data, adapters)


def _open_order(link: BillingLink, adapters: Adapters) -> OrderRecord | FormOutcome:
    """The link's order when the link is open; otherwise what the buyer is told instead."""
    record = adapters.orders.get(link.ref)
    status = record.status if record else None
    now = epoch(adapters.clock.now())
    state = link.state(status, now, record.correction_rounds if record else 0)
    if state is LinkState.OPEN and record is not None:
        return record
    if state in (LinkState.ANSWERED, LinkState.USED):
        return already_received(record, adapters)
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
    return closed(status, link, now)


def closed(status: OrderStatus | None, link: BillingLink | None, now: int) -> LinkExpired:
    """What a buyer is told when the order no longer takes data: the deadline passed (the
    order waits for the global invoice, or its link ran out), or the order stopped."""
    if status is not None and not status.awaits_buyer_data and status is not OrderStatus.GLOBAL:
        return LinkExpired(ClosedBecause.STOPPED)
    ended = link.expires_at if link is not None and link.is_expired(now) else None
    return LinkExpired(ClosedBecause.DEADLINE, ended)


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


def already_received(record: OrderRecord | None, adapters: Adapters | None = None) -> DataReceived:
    """A later visit: the invoice's progress and, once stamped, download links (`adapters`
    given) for whoever holds the buyer's link."""
    fiscal = (record.fiscal_data if record else None) or {}
    number = record.order.display_number if record else None
    progress = _PROGRESS.get(record.status, Progress.RECEIVED) if record else Progress.RECEIVED
    downloads: tuple[tuple[str, str], ...] = ()
    if record and record.invoice and adapters is not None and progress is Progress.INVOICED:
        invoice, tenant_id = record.invoice, record.ref.tenant_id
        name = f"{invoice.serie}{invoice.folio}" or invoice.uuid
        files = [("XML", invoice.xml_key, "xml"), ("PDF", invoice.pdf_key, "pdf")]
        downloads = tuple(
            (
                f"Descargar {label}",
                adapters.documents.download_url(tenant_id, key, f"{name}.{ext}", DOWNLOAD_SECONDS),
            )
            for label, key, ext in files
            if key
        )
    return DataReceived(
        number, str(fiscal.get("email") or ""), False, progress=progress, downloads=downloads
    )


def _accept(
    link: BillingLink, record: OrderRecord, fiscal_data: dict[str, Any], adapters: Adapters
) -> FormOutcome:
    now = adapters.clock.now()
    if not adapters.links.claim(link, epoch(now)):
        # Double submit: the first one is being (or was) handled, with its own data.
        return already_received(adapters.orders.get(link.ref) or record)
    try:
        return _record(link, record, fiscal_data, iso(now), adapters)
    except Exception:
        # Nothing was recorded: the buyer must be able to submit again, not be told we have it.
        adapters.links.release(link)
        raise


def _record(
    link: BillingLink, record: OrderRecord, fiscal_data: dict[str, Any], at: str, adapters: Adapters
) -> FormOutcome:
    ref = link.ref
    late = _late_window(record, adapters)
    if late is not None:
        # After the deadline (docs/decisions/0015): the sale is invoiced on its own, or waits for
        # the global's re-issue without it.
        if late_requests.record_late_request(ref, fiscal_data, at, adapters):
            number = record.order.display_number
            email = str(fiscal_data["email"])
            return DataReceived(number, email, just_now=True, late=late.case.value)
        current = adapters.orders.get(ref) or record
        if current.status.has_buyer_data:
            return already_received(current, adapters)
        return closed(current.status, link, epoch(adapters.clock.now()))
    moved = adapters.orders.apply(
        ref,
        BUYER_DATA_SUBMITTED,
        extra={"fiscal_data": fiscal_data, "billing_data_at": at, "correction": None},
    )
    if not moved:
        return already_received(adapters.orders.get(ref) or record)
    try:
        # Only a reference travels: fiscal data stays in DynamoDB, out of execution history.
        adapters.lifecycle.complete_task(
            link.task_token, {**ref.model_dump(), "billing_data_at": at}
        )
    except TaskClosedError:
        adapters.orders.apply(ref, BUYER_DATA_TOO_LATE)
        logger.warning("billing data arrived after the lifecycle stopped waiting")
        return LinkExpired(ClosedBecause.DEADLINE)
    logger.info("billing data received")
    return DataReceived(record.order.display_number, str(fiscal_data["email"]), just_now=True)


def _form(
    link: BillingLink,
    record: OrderRecord,
    tenant: Tenant | None,
    checked: CheckedForm,
    adapters: Adapters,
    *,
    rejected: bool = False,
) -> FormToFill:
    late = _late_window(record, adapters)
    return FormToFill(
        order=record.order,
        seller_name=tenant.name if tenant else "",
        expires_at=_form_expiry(link, late),
        csrf=link.csrf_token(),
        values=checked.values,
        choices=checked.choices,
        errors=checked.errors,
        rfc_confirmation=checked.rfc_confirmation,
        rejected=rejected,
        late=late.case.value if late else None,
    )


def _issuer_cp(tenant: Tenant | None) -> str | None:
    """The seller's LugarExpedicion, which a generic RFC's CP must repeat; None when the seller
    has none yet (or a CP outside c_CodigoPostal: the seller's setup problem, never the buyer's)."""
    from postventa.cfdi import catalogs

    cp = tenant.issuer.codigo_postal if tenant and tenant.issuer else None
    return cp if cp and catalogs.codigo_postal_existe(cp) else None
