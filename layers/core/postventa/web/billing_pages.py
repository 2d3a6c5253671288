"""The pages a buyer sees for each outcome of the billing form, and their Spanish text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from postventa.formatting import date_es, mask_email
from postventa.services.billing_form import (
    CrossOriginRejected,
    DataReceived,
    FormOutcome,
    FormToFill,
    LateRequestClosed,
    LinkExpired,
    LinkNotFound,
    LinkSuperseded,
    MalformedPost,
)
from postventa.web import forms
from postventa.web.pages import render


@dataclass(frozen=True)
class Page:
    status_code: int
    html: str


def _message(
    status: int, title: str, *paragraphs: str, details: list[tuple[str, str]] | None = None
) -> Page:
    page = render("message", title=title, paragraphs=list(paragraphs), details=details or [])
    return Page(status, page)


def lookup_page() -> Page:
    return _message(
        200,
        "Solicita tu factura",
        "Para facturar tu compra usa el enlace personal que te enviamos por correo "
        "después de pagar.",
        "Si no lo encuentras, revisa tu carpeta de correo no deseado o escribe a la tienda "
        "donde compraste.",
    )


def form_page(outcome: FormOutcome, token: str) -> Page:
    match outcome:
        case LinkNotFound():
            return _message(
                404,
                "Enlace no encontrado",
                "No encontramos este enlace de facturación. Revisa que lo hayas copiado completo "
                "desde el correo que recibiste.",
            )
        case LinkExpired():
            return _message(
                410,
                "El enlace ya venció",
                "El plazo para solicitar la factura de este pedido terminó.",
                "Si necesitas ayuda, responde al correo de tu compra y la tienda te atenderá.",
            )
        case LateRequestClosed():
            return _message(
                410,
                "Comunícate con la tienda para facturar",
                "Tu compra se incluyó en la factura global de la tienda y el plazo para "
                "solicitar tu factura en línea ya terminó.",
                f"Escríbele a {outcome.seller_name or 'la tienda'} respondiendo al correo de "
                "tu compra: ellos pueden ayudarte con tu factura.",
            )
        case LinkSuperseded():
            return _message(
                410,
                "Este enlace ya no funciona",
                "Te enviamos un enlace nuevo para corregir tus datos fiscales. Usa el del correo "
                "más reciente.",
            )
        case CrossOriginRejected():
            return _message(
                403,
                "Solicitud rechazada",
                "Envía el formulario desde la página de tu enlace de facturación: vuelve a abrir "
                "el enlace que te enviamos por correo y captura tus datos ahí.",
            )
        case MalformedPost():
            return _message(
                400,
                "No pudimos leer el formulario",
                "Vuelve a abrir el enlace que te enviamos por correo y envía tus datos desde ahí.",
            )
        case DataReceived():
            return _received(outcome)
        case FormToFill():
            return _form(outcome, token)
    assert_never(outcome)


def _received(outcome: DataReceived) -> Page:
    """Said once as news ("Recibimos"), on any later visit as a reminder. The address is
    masked: anyone who has the link sees this page."""
    details: list[tuple[str, str]] = []
    if outcome.order_number:
        details.append(("Pedido", outcome.order_number))
    if outcome.email:
        details.append(("Enviaremos la factura (XML y PDF) a", mask_email(outcome.email)))
    if outcome.just_now:
        return _message(
            200,
            "Recibimos tus datos",
            "Gracias. Con estos datos emitiremos tu factura y te la enviaremos por correo.",
            *_LATE_RECEIVED.get(outcome.late or "", ()),
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


# What a buyer asking after the deadline reads (services/late_requests.LateCase): which case
# applies, on the form and once the data is in.
_LATE_NOTICE = {
    "antes_de_la_global": "El plazo para pedir tu factura terminó, pero tu compra todavía no se "
    "incluye en la factura global de la tienda: aún podemos emitir tu factura.",
    "factura_global": "Tu compra ya se incluyó en la factura global de la tienda (público en "
    "general). Si nos envías tus datos, sustituiremos esa factura global sin tu compra, como "
    "indica el SAT, y después emitiremos la tuya.",
}
_LATE_RECEIVED = {
    "factura_global": (
        "Como tu compra estaba en la factura global de la tienda, primero la sustituiremos sin "
        "tu compra; tu factura te llegará en uno o dos días.",
    ),
}


def _form(outcome: FormToFill, token: str) -> Page:
    html = render(
        "billing_form",
        order=outcome.order,
        seller_name=outcome.seller_name,
        late_notice=_LATE_NOTICE.get(outcome.late or ""),
        expires_on=date_es(outcome.expires_at) if outcome.expires_at else None,
        values=outcome.values,
        csrf=outcome.csrf,
        errors=outcome.errors,
        regimenes=forms.regimen_options(),
        usos=forms.uso_options(),
        # After a rejected post the browser opens the page at the error summary (no script).
        action=f"/facturar/{token}#errores",
    )
    return Page(422 if outcome.rejected else 200, html)
