"""A seller's customers: created by hand or from the buyers who submit the billing form (through
the bus), edited with an audit trail, searched without scans, deactivated (never erased),
mass-updated and exported in the background. Every call is scoped to one tenant.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from postventa.domain.accounts import Principal
from postventa.domain.clock import iso
from postventa.domain.customers import (
    GENERIC_RFCS,
    AuditEntry,
    Customer,
    CustomerData,
    CustomerOrder,
    CustomerQuery,
    PersonType,
    diff,
    driving_condition,
    is_rename,
    matches,
    problems,
    split_full_name,
)
from postventa.domain.orders import OrderRef
from postventa.domain.ports import Adapters
from postventa.errors import BadRequestError, ConflictError, NotFoundError
from postventa.observability import logger

PAGE_SIZE = 50
#: A page of results evaluates at most this many customers (then answers with what it found
#: and a cursor to go on): a search never reads the tenant's whole list in one request.
MAX_EVALUATED = 1_000
FORM = "formulario de facturación"


class CustomerRefusedError(BadRequestError):
    """What was posted cannot be saved: each field's problem (422)."""

    status_code = 422
    code = "cliente_invalido"

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__(" ".join(fields.values()), details=fields)


@dataclass(frozen=True)
class RenameNeedsConfirmation:
    """The customer has invoices under their current name: the seller confirms first."""

    customer: Customer
    invoices: int


def _now(adapters: Adapters) -> str:
    return iso(adapters.clock.now())


def _change_id() -> str:
    return secrets.token_hex(6)


def _fields(data: CustomerData) -> dict[str, Any]:
    return data.model_dump(mode="json")


def _taken(adapters: Adapters, tenant_id: str, outcome: str, data: CustomerData) -> None:
    """The Spanish refusal for an RFC or a primary email another customer holds."""
    if outcome == "rfc_ocupado":
        other = adapters.customers.holder(tenant_id, "RFC", data.rfc)
        raise CustomerRefusedError(
            {"rfc": f"Ya tienes un cliente con el RFC {data.rfc} (ID {other}): ábrelo y edítalo."}
        )
    if outcome == "email_ocupado":
        holder_id = adapters.customers.holder(tenant_id, "EMAIL", data.email.lower())
        holder = adapters.customers.get(tenant_id, holder_id) if holder_id else None
        who = f"«{holder.display_name}» (ID {holder.customer_id})" if holder else "otro cliente"
        raise CustomerRefusedError(
            {
                "email": f"Ese correo ya es el principal de {who}. Si este cliente también debe "
                "recibir los avisos, agrégalo en «Emails a notificar»."
            }
        )
    if outcome == "conflicto_version":
        raise ConflictError(
            "Alguien más cambió este cliente mientras lo editabas: recarga la página y vuelve "
            "a aplicar tus cambios."
        )


def _check(data: CustomerData) -> CustomerData:
    found = problems(data)
    if found:
        raise CustomerRefusedError(found)
    return data.model_copy(update={"rfc": data.rfc.upper()})


# ---------------------------------------------------------------- by hand
def create(principal: Principal, data: CustomerData, adapters: Adapters) -> Customer:
    tenant_id = principal.tenant_id
    data = _check(data)
    if adapters.customers.holder(tenant_id, "RFC", data.rfc) and data.rfc not in GENERIC_RFCS:
        _taken(adapters, tenant_id, "rfc_ocupado", data)
    now = _now(adapters)
    customer = Customer(
        **data.model_dump(),
        tenant_id=tenant_id,
        customer_id=adapters.customers.next_id(tenant_id),
        created_at=now,
        updated_at=now,
    )
    audit = AuditEntry(
        customer_id=customer.customer_id,
        at=now,
        change_id=_change_id(),
        action="alta",
        by=principal.email or "sistema",
        changes=diff({}, _fields(data)),
    )
    outcome = adapters.customers.save(customer, None, audit)
    _taken(adapters, tenant_id, outcome, data)
    logger.info("customer created", extra={"origin": "manual"})
    return customer


def get(principal: Principal, customer_id: str, adapters: Adapters) -> Customer:
    """The tenant's own customer: another tenant's id is simply not found."""
    customer = (
        adapters.customers.get(principal.tenant_id, customer_id) if customer_id.isdigit() else None
    )
    if customer is None:
        logger.info("customer not found in the signed-in tenant")
        raise NotFoundError("Cliente no encontrado.")
    return customer


def update(
    principal: Principal,
    customer_id: str,
    data: CustomerData,
    adapters: Adapters,
    *,
    version: int,
    confirm_rename: bool = False,
) -> Customer | RenameNeedsConfirmation:
    current = get(principal, customer_id, adapters)
    if version != current.version:
        _taken(adapters, principal.tenant_id, "conflicto_version", data)
    if data.rfc.upper() != current.rfc:
        raise CustomerRefusedError(
            {
                "rfc": "El RFC no cambia: otro RFC es otro cliente. Da de alta uno nuevo y "
                "desactiva este si ya no lo usas."
            }
        )
    data = _check(data)
    if is_rename(current.data(), data) and current.invoice_count and not confirm_rename:
        return RenameNeedsConfirmation(current, current.invoice_count)
    changes = diff(_fields(current.data()), _fields(data))
    if not changes:
        return current
    return save_change(principal.email or "sistema", current, data, changes, adapters)


def save_change(
    by: str,
    current: Customer,
    data: CustomerData,
    changes: list[Any],
    adapters: Adapters,
    *,
    action: str = "cambio",
    at: str | None = None,
    change_id: str | None = None,
    active: bool | None = None,
) -> Customer:
    """Save `data` over `current` with one audit entry (`at` and `change_id` fixed by a mass
    update, so a re-run finds its entry and changes nothing)."""
    now = _now(adapters)
    updated = Customer(
        **{
            **current.model_dump(),
            **data.model_dump(),
            "updated_at": now,
            "version": current.version + 1,
            "active": current.active if active is None else active,
        }
    )
    audit = AuditEntry.model_validate(
        {
            "customer_id": current.customer_id,
            "at": at or now,
            "change_id": change_id or _change_id(),
            "action": action,
            "by": by,
            "changes": changes,
        }
    )
    outcome = adapters.customers.save(updated, current, audit)
    if outcome == "ya_aplicado":
        return current
    _taken(adapters, current.tenant_id, outcome, data)
    return updated


def set_active(
    principal: Principal, customer_id: str, active: bool, adapters: Adapters
) -> Customer:
    """Delete deactivates: the record, its audit and its orders stay; it can come back."""
    current = get(principal, customer_id, adapters)
    if current.active == active:
        return current
    change = [{"campo": "activo", "antes": _yes(current.active), "despues": _yes(active)}]
    action = "reactivacion" if active else "desactivacion"
    by = principal.email or "sistema"
    return save_change(by, current, current.data(), change, adapters, action=action, active=active)


def _yes(value: bool) -> str:
    return "sí" if value else "no"


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    audit: list[AuditEntry]
    orders: list[CustomerOrder]


def view(principal: Principal, customer_id: str, adapters: Adapters) -> CustomerView:
    customer = get(principal, customer_id, adapters)
    tenant = principal.tenant_id
    return CustomerView(
        customer,
        adapters.customers.audit(tenant, customer_id),
        adapters.customers.orders(tenant, customer_id),
    )


# ---------------------------------------------------------------- searching
@dataclass(frozen=True)
class CustomerPage:
    customers: list[Customer]
    next_cursor: str | None
    evaluated: int


def _cursor(status_index: int, sort_key: str) -> str:
    raw = json.dumps({"s": status_index, "k": sort_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_cursor(cursor: str | None) -> tuple[int, str | None]:
    if not cursor:
        return 0, None
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        status, key = int(doc["s"]), str(doc["k"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BadRequestError("El cursor de paginación no es válido.") from None
    if status not in (0, 1):
        raise BadRequestError("El cursor de paginación no es válido.")
    return status, key


def search(
    tenant_id: str,
    query: CustomerQuery,
    adapters: Adapters,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    max_evaluated: int = MAX_EVALUATED,
) -> CustomerPage:
    """One page of the tenant's customers matching every condition, in the order of the most
    selective condition's index (name order within a value). Reads the index entries of that
    one condition and the customers they name, never the whole list."""
    conditions = query.conditions()
    field_name, value, is_prefix = driving_condition(conditions)
    statuses = query.statuses()
    start_status, start_after = _read_cursor(cursor)
    found: list[Customer] = []
    evaluated = 0
    for index in range(start_status, len(statuses)):
        active = statuses[index]
        after = start_after if index == start_status else None
        while True:
            rows, last = adapters.customers.index_page(
                tenant_id,
                active,
                field_name,
                value,
                exact=not is_prefix,
                limit=min(100, max_evaluated),
                start_after=after,
            )
            by_id = {
                c.customer_id: c
                for c in adapters.customers.get_many(tenant_id, [r[1] for r in rows])
            }
            for sort_key, customer_id in rows:
                evaluated += 1
                customer = by_id.get(customer_id)
                if (
                    customer is None
                    or customer.active != active
                    or not matches(customer, conditions)
                ):
                    continue
                found.append(customer)
                if len(found) == limit:
                    return CustomerPage(found, _cursor(index, sort_key), evaluated)
            if last is None:
                break
            after = last
            if evaluated >= max_evaluated:
                return CustomerPage(found, _cursor(index, last), evaluated)
    return CustomerPage(found, None, evaluated)


def parse_query(values: dict[str, str]) -> CustomerQuery:
    try:
        return CustomerQuery.model_validate(values)
    except ValidationError:
        raise BadRequestError("La búsqueda no es válida: revisa los filtros.") from None


# ---------------------------------------------------------------- from the billing form
class BillingEventDetail(BaseModel):
    """BillingDataReceived / InvoiceStamped on the bus: the order's reference (and the invoice)."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    channel: str
    order_id: str


def _link(record: Any) -> CustomerOrder:
    order = record.order
    invoice = record.invoice
    return CustomerOrder(
        channel=order.channel.value,
        order_id=order.order_id,
        order_number=order.display_number,
        paid_at=order.paid_at.isoformat(),
        total=str(order.total_paid),
        currency=order.currency,
        invoice_uuid=invoice.uuid if invoice else None,
        invoice_folio=f"{invoice.serie}{invoice.folio}" if invoice else None,
        invoice_total=invoice.total if invoice else None,
        stamped_at=invoice.stamped_at if invoice else None,
    )


def on_billing_data(detail: BillingEventDetail, event_id: str, adapters: Adapters) -> str | None:
    """The buyer's submitted fiscal data makes or updates the customer of that RFC (their
    régimen, uso and postal code as they gave them), and the order joins their history.
    Safe to receive twice (EventBridge delivers at least once). Returns the customer id."""
    ref = OrderRef(tenant_id=detail.tenant_id, channel=detail.channel, order_id=detail.order_id)
    record = adapters.orders.get(ref)
    fiscal = (record.fiscal_data if record else None) or {}
    rfc = str(fiscal.get("rfc") or "").upper()
    if record is None or not rfc or rfc in GENERIC_RFCS:
        return None
    at = iso(adapters.clock.now())
    change_id = "ev-" + event_id[:40]
    holder = adapters.customers.holder(ref.tenant_id, "RFC", rfc)
    current = adapters.customers.get(ref.tenant_id, holder) if holder else None
    if current is None:
        current = _create_from_form(ref.tenant_id, fiscal, at, change_id, adapters)
        if current is None:
            return None
    else:
        wanted = current.data().model_copy(
            update={
                "regimen_fiscal": str(fiscal.get("regimen_fiscal") or current.regimen_fiscal),
                "uso_cfdi": str(fiscal.get("uso_cfdi") or current.uso_cfdi),
                "codigo_postal": str(fiscal.get("codigo_postal") or current.codigo_postal),
            }
        )
        email = str(fiscal.get("email") or "")
        if (
            not current.email
            and email
            and not adapters.customers.holder(ref.tenant_id, "EMAIL", email.lower())
        ):
            wanted = wanted.model_copy(update={"email": email})
        changes = diff(_fields(current.data()), _fields(wanted))
        if changes and not problems(wanted):
            current = save_change(
                FORM, current, wanted, changes, adapters, at=at, change_id=change_id
            )
    adapters.customers.link_order(ref.tenant_id, current.customer_id, _link(record))
    return current.customer_id


def _create_from_form(
    tenant_id: str, fiscal: dict[str, Any], at: str, change_id: str, adapters: Adapters
) -> Customer | None:
    from postventa.cfdi.rfc import TipoPersona, tipo_persona

    rfc = str(fiscal["rfc"]).upper()
    tipo = tipo_persona(rfc)
    if tipo is None:
        return None
    name = " ".join(str(fiscal.get("nombre") or "").split())
    person = PersonType.FISICA if tipo is TipoPersona.FISICA else PersonType.MORAL
    email = str(fiscal.get("email") or "")
    if email and adapters.customers.holder(tenant_id, "EMAIL", email.lower()):
        email = ""  # another customer's primary: this one gets it when the seller decides
    data = CustomerData(
        tipo_persona=person,
        nombre=name,
        **(split_full_name(name) if person is PersonType.FISICA else {}),
        rfc=rfc,
        email=email,
        codigo_postal=str(fiscal.get("codigo_postal") or ""),
        regimen_fiscal=str(fiscal.get("regimen_fiscal") or ""),
        uso_cfdi=str(fiscal.get("uso_cfdi") or ""),
    )
    customer = Customer(
        **data.model_dump(),
        tenant_id=tenant_id,
        customer_id=adapters.customers.next_id(tenant_id),
        origin="formulario",
        created_at=at,
        updated_at=at,
    )
    audit = AuditEntry(
        customer_id=customer.customer_id,
        at=at,
        change_id=change_id,
        action="alta",
        by=FORM,
        changes=diff({}, _fields(data)),
    )
    outcome = adapters.customers.save(customer, None, audit)
    if outcome == "rfc_ocupado":  # created meanwhile by a redelivery or the seller: use it
        holder = adapters.customers.holder(tenant_id, "RFC", rfc)
        return adapters.customers.get(tenant_id, holder) if holder else None
    if outcome != "guardado":
        return None
    logger.info("customer created", extra={"origin": "formulario"})
    return customer


def on_invoice_stamped(detail: BillingEventDetail, adapters: Adapters) -> bool:
    """The stamped invoice joins the customer's history and invoice count (once)."""
    ref = OrderRef(tenant_id=detail.tenant_id, channel=detail.channel, order_id=detail.order_id)
    record = adapters.orders.get(ref)
    rfc = str(((record.fiscal_data if record else None) or {}).get("rfc") or "").upper()
    holder = adapters.customers.holder(ref.tenant_id, "RFC", rfc) if rfc else None
    if record is None or record.invoice is None or holder is None:
        return False
    return adapters.customers.record_invoice(ref.tenant_id, holder, _link(record))


# ---------------------------------------------------------------- what the product emails them
@dataclass(frozen=True)
class InvoiceRecipients:
    to: str | None
    copies: tuple[str, ...] = field(default=())
    #: Why nothing is sent: sin_email (no address), avisos_desactivados (the customer's switch).
    reason: str = ""


def invoice_recipients(
    adapters: Adapters, tenant_id: str, fiscal_data: dict[str, Any], buyer_email: str | None
) -> InvoiceRecipients:
    """Who gets an issued invoice by email: the address the buyer gave; with a customer of that
    RFC, only while their «enviar correo con factura emitida» is on, and then also their primary
    and notify emails (each its own message)."""
    rfc = str(fiscal_data.get("rfc") or "").upper()
    generic = not rfc or rfc in GENERIC_RFCS
    holder = None if generic else adapters.customers.holder(tenant_id, "RFC", rfc)
    customer = adapters.customers.get(tenant_id, holder) if holder else None
    if customer is not None and not customer.avisar_factura:
        return InvoiceRecipients(None, reason="avisos_desactivados")
    to = buyer_email or (customer.email if customer else None) or None
    if not to:
        return InvoiceRecipients(None, reason="sin_email")
    extra = (customer.email, *customer.emails_notificar) if customer else ()
    copies = tuple(a for a in dict.fromkeys(extra) if a and a.lower() != to.lower())
    return InvoiceRecipients(to, copies)


def on_order_event(event: Any, adapters: Adapters) -> dict[str, Any]:
    """BillingDataReceived or InvoiceStamped from the bus (services.audit.OrderEvent)."""
    detail = BillingEventDetail.model_validate(event.detail)
    if event.detail_type == "BillingDataReceived":
        return {"customer": on_billing_data(detail, event.id, adapters)}
    if event.detail_type == "InvoiceStamped":
        return {"invoice_recorded": on_invoice_stamped(detail, adapters)}
    return {}
