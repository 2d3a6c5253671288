"""The buyer's billing form: show it, validate the fiscal data, hand it to the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from postventa.domain.orders import OrderStatus
from postventa.observability import bind_order, logger
from postventa.services.formatting import date_es
from postventa.storage import form_tokens, orders
from postventa.storage.form_tokens import FormLink
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


def _message(status: int, title: str, *paragraphs: str) -> Page:
    return Page(status, render("message", title=title, paragraphs=list(paragraphs)))


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


def _received() -> Page:
    return _message(
        200,
        "Recibimos tus datos",
        "Gracias. Con estos datos emitiremos tu factura y te la enviaremos por correo (XML y PDF).",
    )


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
    if link.used_at:
        return _received()
    if link.is_expired():
        return _expired()
    stored = orders.get_order(link.tenant_id, link.channel, link.order_id)
    if stored is None:
        return _not_found()
    if stored.status == OrderStatus.DATA_RECEIVED:
        return _received()
    if stored.status not in _OPEN:
        return _expired()
    email = stored.order.buyer.email or ""
    return _form_page(200, link, token, {**dict.fromkeys(forms.FIELDS, ""), "email": email}, {})


def submit_form(token: str, body: str, *, same_origin: bool) -> Page:
    link = form_tokens.find_form_link(token)
    if link is None:
        return _not_found()
    bind_order(link.tenant_id, link.channel, link.order_id)
    if not same_origin:
        logger.warning("billing form post from another origin rejected")
        return _message(403, "Solicitud rechazada", "Envía el formulario desde esta página.")
    if link.used_at:
        return _received()
    if link.is_expired():
        return _expired()
    stored = orders.get_order(link.tenant_id, link.channel, link.order_id)
    if stored is None:
        return _not_found()
    if stored.status == OrderStatus.DATA_RECEIVED:
        return _received()
    if stored.status not in _OPEN:
        return _expired()
    values, errors = forms.check(forms.parse_form(body))
    if errors:
        logger.info("billing form has errors", extra={"fields": sorted(errors)})
        return _form_page(422, link, token, values, errors)
    return _accept(link, values)


def _accept(link: FormLink, values: dict[str, str]) -> Page:
    if not form_tokens.mark_link_used(link):
        return _received()  # double submit: the first one is being (or was) handled
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
        return _received()
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
    return _received()


def _form_page(
    status: int, link: FormLink, token: str, values: dict[str, str], errors: dict[str, list[str]]
) -> Page:
    stored = orders.get_order(link.tenant_id, link.channel, link.order_id)
    tenant = get_tenant(link.tenant_id)
    assert stored is not None
    html = render(
        "billing_form",
        order=stored.order,
        seller_name=tenant.name if tenant else "",
        expires_on=date_es(link.link_expires_at),
        values=values,
        errors=errors,
        regimenes=forms.regimen_options(),
        usos=forms.uso_options(),
        action=f"/facturar/{token}",
    )
    return Page(status, html)
