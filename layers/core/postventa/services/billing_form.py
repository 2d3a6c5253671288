"""The buyer's billing form: show it, validate the fiscal data, hand it to the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from postventa.domain.orders import OrderStatus
from postventa.observability import bind_order, logger
from postventa.services.formatting import date_es, mask_email
from postventa.storage import form_tokens, orders
from postventa.storage.form_tokens import FormLink
from postventa.storage.orders import StoredOrder
from postventa.storage.table import now_iso
from postventa.storage.tenants import get_tenant
from postventa.web import forms
from postventa.web.pages import render
from postventa.workflow.lifecycle import TaskClosedError, complete_task


@dataclass(frozen=True)
class Page:
    status_code: int
    html: str


_OPEN = (OrderStatus.RECEIVED, OrderStatus.BILLING_REQUESTED)


def _message(
    status: int, title: str, *paragraphs: str, details: list[tuple[str, str]] | None = None
) -> Page:
    page = render("message", title=title, paragraphs=list(paragraphs), details=details or [])
    return Page(status, page)


def _not_found() -> Page:
    return _message(
        404,
        "Enlace no encontrado",
        "No encontramos este enlace de facturación. Revisa que lo hayas copiado completo "
        "desde el correo que recibiste.",
    )


def _expired() -> Page:
    return _message(
        410,
        "El enlace ya venció",
        "El plazo para solicitar la factura de este pedido terminó.",
        "Si necesitas ayuda, responde al correo de tu compra y la tienda te atenderá.",
    )


def _received(stored: StoredOrder | None, *, just_now: bool, email: str = "") -> Page:
    """The data is in: said once as news ("Recibimos"), on any later visit as a reminder. The
    address is masked: anyone who has the link sees this page."""
    fiscal = (stored.fiscal_data if stored else None) or {}
    email = email or str(fiscal.get("email") or "")
    details: list[tuple[str, str]] = []
    if stored is not None:
        details.append(("Pedido", stored.order.display_number))
    if email:
        details.append(("Enviaremos la factura (XML y PDF) a", mask_email(email)))
    if just_now:
        return _message(
            200,
            "Recibimos tus datos",
            "Gracias. Con estos datos emitiremos tu factura y te la enviaremos por correo.",
            details=details,
        )
    return _message(
        200,
        "Ya habíamos recibido tus datos",
        "Los datos fiscales de este pedido ya nos habían llegado; no hace falta enviarlos otra "
        "vez. Te enviaremos la factura por correo.",
        "Si necesitas corregir algún dato, responde al correo de tu compra.",
        details=details,
    )


def _data_in(link: FormLink, stored: StoredOrder | None) -> bool:
    """The buyer's data was taken for this order (a used link whose data arrived too late, after
    the order went to the global invoice, is not: that visit is told the link expired)."""
    if stored is None:
        return bool(link.used_at)
    if stored.status in (OrderStatus.DATA_RECEIVED, OrderStatus.INVOICED):
        return True
    return bool(link.used_at) and stored.status not in (OrderStatus.GLOBAL, OrderStatus.CANCELLED)


def lookup_page() -> Page:
    return _message(
        200,
        "Solicita tu factura",
        "Para facturar tu compra usa el enlace personal que te enviamos por correo "
        "después de pagar.",
        "Si no lo encuentras, revisa tu carpeta de correo no deseado o escribe a la tienda "
        "donde compraste.",
    )


def show_form(token: str) -> Page:
    link = form_tokens.find_form_link(token)
    if link is None:
        return _not_found()
    bind_order(link.tenant_id, link.channel, link.order_id)
    stored = orders.get_order(link.tenant_id, link.channel, link.order_id)
    if _data_in(link, stored):
        return _received(stored, just_now=False)
    if link.is_expired():
        return _expired()
    if stored is None:
        return _not_found()
    if stored.status not in _OPEN:
        return _expired()
    email = stored.order.buyer.email or ""
    values = {**dict.fromkeys(forms.FIELDS, ""), "email": email}
    return _form_page(200, link, stored, token, values, {})


def submit_form(token: str, body: str, *, same_origin: bool) -> Page:
    link = form_tokens.find_form_link(token)
    if link is None:
        return _not_found()
    bind_order(link.tenant_id, link.channel, link.order_id)
    if not same_origin:
        logger.warning("billing form post from another origin rejected")
        return _message(403, "Solicitud rechazada", "Envía el formulario desde esta página.")
    stored = orders.get_order(link.tenant_id, link.channel, link.order_id)
    if _data_in(link, stored):
        return _received(stored, just_now=False)
    if link.is_expired():
        return _expired()
    if stored is None:
        return _not_found()
    if stored.status not in _OPEN:
        return _expired()
    values, errors = forms.check(forms.parse_form(body))
    if errors:
        logger.info("billing form has errors", extra={"fields": sorted(errors)})
        return _form_page(422, link, stored, token, values, errors)
    return _accept(link, stored, values)


def _accept(link: FormLink, stored: StoredOrder, values: dict[str, str]) -> Page:
    if not form_tokens.mark_link_used(link):
        # Double submit: the first one is being (or was) handled, with its own data.
        return _received(_reread(link) or stored, just_now=False)
    fiscal_data: dict[str, Any] = {k: values[k] for k in forms.FIELDS}
    at = now_iso()
    moved = orders.change_status(
        link.tenant_id,
        link.channel,
        link.order_id,
        to=OrderStatus.DATA_RECEIVED,
        allowed_from=_OPEN,
        extra={"fiscal_data": fiscal_data, "billing_data_at": at},
    )
    if not moved:
        return _received(_reread(link) or stored, just_now=False)
    try:
        # Only a reference travels: fiscal data stays in DynamoDB, out of execution history.
        complete_task(
            link.task_token,
            {
                "tenant_id": link.tenant_id,
                "channel": link.channel,
                "order_id": link.order_id,
                "billing_data_at": at,
            },
        )
    except TaskClosedError:
        orders.change_status(
            link.tenant_id,
            link.channel,
            link.order_id,
            to=OrderStatus.GLOBAL,
            allowed_from=(OrderStatus.DATA_RECEIVED,),
        )
        logger.warning("billing data arrived after the lifecycle stopped waiting")
        return _expired()
    logger.info("billing data received")
    return _received(stored, just_now=True, email=values["email"])


def _reread(link: FormLink) -> StoredOrder | None:
    return orders.get_order(link.tenant_id, link.channel, link.order_id)


def _form_page(
    status: int,
    link: FormLink,
    stored: StoredOrder,
    token: str,
    values: dict[str, str],
    errors: dict[str, list[str]],
) -> Page:
    tenant = get_tenant(link.tenant_id)
    html = render(
        "billing_form",
        order=stored.order,
        seller_name=tenant.name if tenant else "",
        expires_on=date_es(link.link_expires_at),
        values=values,
        errors=errors,
        regimenes=forms.regimen_options(),
        usos=forms.uso_options(),
        # After a rejected post the browser opens the page at the error summary (no script).
        action=f"/facturar/{token}#errores",
    )
    return Page(status, html)
