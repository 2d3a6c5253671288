"""The self-invoice portal (GET|POST /facturar): a buyer who lost the billing link finds the order
by store, order number and the exact total paid, and gets a fresh personal link to the form.

A wrong guess learns nothing: "no such order" and "wrong total" are one answer (the same page),
reached by the same work (the store, the rate limits, one lookup by number that returns the
totals beside the keys, the failure counted). Guessing is slowed down per source address and per
store (docs/decisions/0013-buyer-pages.md). The form the buyer reaches is the one the emailed link
opens, with that link's own expiry: the portal never extends a deadline. Past the deadline, while
the seller's cut-off for late requests lasts (decision 0015), it opens a late request's form.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias
from urllib.parse import parse_qs

from postventa.domain.billing_links import MAX_LINK_DAYS, LinkState
from postventa.domain.clock import epoch
from postventa.domain.orders import OrderRecord
from postventa.domain.ports import Adapters, NumberedOrder
from postventa.domain.self_invoice import (
    is_order_number,
    order_number_key,
    parse_total,
    same_total,
)
from postventa.domain.status import OrderStatus
from postventa.observability import bind_order, logger
from postventa.services import late_requests
from postventa.services.billing_form import (
    DataReceived,
    LateRequestClosed,
    LinkExpired,
    already_received,
    closed,
)

STORE_FIELD, NUMBER_FIELD, TOTAL_FIELD, CSRF_FIELD = "tienda", "pedido", "total", "csrf"
_FIELDS = (STORE_FIELD, NUMBER_FIELD, TOTAL_FIELD)
_MAX_FIELD = 100

# Failed lookups allowed in a window before every lookup from there is refused (429): per source
# address (a person mistypes a few times), and per store (many addresses guessing one store's
# orders). A failure is a lookup that found nothing; a malformed entry does no lookup.
WINDOW_SECONDS = 900
MAX_FAILURES_PER_ADDRESS = 6
MAX_FAILURES_PER_STORE = 30

# The page's anti-forgery value: a random token set as a SameSite=Strict cookie and echoed by the
# form (double submit), beside the Origin check. Only these shapes are taken back from a cookie.
_CSRF = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Store:
    tenant_id: str
    name: str


@dataclass(frozen=True)
class LookupForm:
    """The lookup form: empty, with a message per field typed wrong, or with the one answer
    for "nothing matches" (`not_found`) and what was typed kept."""

    stores: list[Store]
    values: dict[str, str]
    csrf: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    not_found: bool = False


@dataclass(frozen=True)
class LookupRejected:
    """A post that did not come from our own lookup page (another origin, no matching token)."""

    csrf: str


@dataclass(frozen=True)
class TooManyLookups:
    retry_after: int  # seconds until the window ends


@dataclass(frozen=True)
class FormReady:
    """The order awaits the buyer's data: a fresh link to its form (same expiry as the last)."""

    token: str


@dataclass(frozen=True)
class NotAskedYet:
    """The order is known but its billing request has not created a link yet."""

    order_number: str


@dataclass(frozen=True)
class AlreadyInvoiced:
    order_number: str
    email: str
    cancelled: bool


LookupOutcome: TypeAlias = (
    LookupForm
    | LookupRejected
    | TooManyLookups
    | FormReady
    | NotAskedYet
    | AlreadyInvoiced
    | DataReceived
    | LinkExpired
    | LateRequestClosed
)


def csrf_for(cookie: str | None) -> str:
    """The page's anti-forgery token: the browser's own when it has a well-formed one, else new."""
    return cookie if cookie and _CSRF.match(cookie) else secrets.token_urlsafe(32)


def lookup_form(adapters: Adapters, *, store: str | None, csrf_cookie: str | None) -> LookupForm:
    """The empty form; `store` (?tienda=) preselects a store a seller's site links to."""
    stores = list_stores(adapters)
    chosen = store if any(s.tenant_id == store for s in stores) else ""
    if len(stores) == 1:
        chosen = stores[0].tenant_id
    values = {STORE_FIELD: chosen or "", NUMBER_FIELD: "", TOTAL_FIELD: ""}
    return LookupForm(stores, values, csrf_for(csrf_cookie))


def find_order(
    body: str,
    *,
    source_ip: str,
    csrf_cookie: str | None,
    same_origin: bool,
    adapters: Adapters,
) -> LookupOutcome:
    csrf = csrf_for(csrf_cookie)
    posted = _parse(body)
    if (
        not same_origin
        or posted is None
        or not csrf_cookie
        or not hmac.compare_digest(posted[CSRF_FIELD].encode(), csrf_cookie.encode())
    ):
        logger.warning("self-invoice lookup not posted from our page rejected")
        return LookupRejected(csrf)
    values = {f: posted[f] for f in _FIELDS}
    tenant = adapters.tenants.get(values[STORE_FIELD]) if values[STORE_FIELD] else None
    number = order_number_key(values[NUMBER_FIELD])
    total = parse_total(values[TOTAL_FIELD])
    errors = _entry_errors(tenant is not None, number, total)
    if errors or tenant is None or total is None:
        return LookupForm(list_stores(adapters), values, csrf, errors)
    now = epoch(adapters.clock.now())
    limits = {
        f"portal-ip:{source_ip or 'desconocida'}": MAX_FAILURES_PER_ADDRESS,
        f"portal-store:{tenant.tenant_id}": MAX_FAILURES_PER_STORE,
    }
    limiter = adapters.limiter
    if any(limiter.count(b, WINDOW_SECONDS, now) >= most for b, most in limits.items()):
        logger.warning("self-invoice lookups over the limit", extra={"tenant_id": tenant.tenant_id})
        return TooManyLookups(WINDOW_SECONDS - now % WINDOW_SECONDS)
    match = _matching(adapters.orders.find_by_number(tenant.tenant_id, number), total)
    record = adapters.orders.get(match.ref) if match is not None else None
    if record is None:
        for bucket in limits:
            limiter.hit(bucket, WINDOW_SECONDS, now)
        logger.info("self-invoice lookup matched no order", extra={"tenant_id": tenant.tenant_id})
        return LookupForm(list_stores(adapters), values, csrf, not_found=True)
    bind_order(record.ref.tenant_id, record.ref.channel, record.ref.order_id)
    logger.info("self-invoice lookup found the order")
    return _answer(record, now, adapters)


def list_stores(adapters: Adapters) -> list[Store]:
    """Every store, by name, for the select (sellers' public names)."""
    tenants = (adapters.tenants.get(tenant_id) for tenant_id in adapters.tenants.list_ids())
    return sorted(
        (Store(t.tenant_id, t.name) for t in tenants if t is not None),
        key=lambda s: (s.name.casefold(), s.tenant_id),
    )


def _parse(body: str) -> dict[str, str] | None:
    try:
        raw = parse_qs(body, keep_blank_values=True, max_num_fields=10)
    except ValueError:
        return None
    names = (*_FIELDS, CSRF_FIELD)
    return {f: (raw.get(f) or [""])[0].strip()[:_MAX_FIELD] for f in names}


def _entry_errors(store_known: bool, number: str, total: Decimal | None) -> dict[str, list[str]]:
    """Messages for what is typed wrong whatever the orders are (no lookup is spent on it)."""
    errors: dict[str, list[str]] = {}
    if not store_known:
        errors[STORE_FIELD] = ["Elige la tienda donde compraste."]
    if not number:
        errors[NUMBER_FIELD] = ["Escribe el número de pedido."]
    elif not is_order_number(number):
        errors[NUMBER_FIELD] = ["Escribe el número de pedido como aparece en tu compra."]
    if total is None:
        errors[TOTAL_FIELD] = [
            "Escribe el total que pagaste, con centavos si los tiene (por ejemplo 1,057.10)."
        ]
    return errors


def _matching(candidates: list[NumberedOrder], total: Decimal) -> NumberedOrder | None:
    return next((c for c in candidates if same_total(c.total_paid, total)), None)


def _answer(record: OrderRecord, now: int, adapters: Adapters) -> LookupOutcome:
    """What applies to the order found: its form while it awaits data, otherwise what happened."""
    status, number = record.status, record.order.display_number
    if status in (OrderStatus.INVOICED, OrderStatus.CANCELLATION_PENDING, OrderStatus.CANCELLED):
        email = str((record.fiscal_data or {}).get("email") or "")
        return AlreadyInvoiced(number, email, cancelled=status is OrderStatus.CANCELLED)
    if status.has_buyer_data:
        return already_received(record)
    link = adapters.links.latest(record.ref)
    tenant = adapters.tenants.get(record.ref.tenant_id)
    late = late_requests.window(record, tenant, adapters.clock.now()) if tenant else None
    if late is not None and tenant is not None:
        # Past the deadline (decision 0015): the buyer may still ask until the tenant's cut-off;
        # the link's form takes the data as a late request (it answers no lifecycle task).
        if not late.open:
            return LateRequestClosed(tenant.name)
        until = now + MAX_LINK_DAYS * 24 * 3600
        if late.until is not None:
            until = min(until, epoch(late.until))
        task_token = link.task_token if link is not None else ""
        return FormReady(adapters.links.create(record.ref, task_token=task_token, expires_at=until))
    if link is None:
        if status.awaits_buyer_data:
            return NotAskedYet(number)
        return closed(status, None, now)
    state = link.state(status, now)
    if state is LinkState.OPEN:
        token = adapters.links.create(
            record.ref, task_token=link.task_token, expires_at=link.expires_at
        )
        return FormReady(token)
    if state is LinkState.USED:
        return already_received(record)
    return closed(status, link, now)
