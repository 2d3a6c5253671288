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


def _form(outcome: FormToFill, token: str) -> Page:
    html = render(
        "billing_form",
        order=outcome.order,
        seller_name=outcome.seller_name,
        expires_on=date_es(outcome.expires_at),
        values=outcome.values,
        csrf=outcome.csrf,
        errors=outcome.errors,
        regimenes=forms.regimen_options(),
        usos=forms.uso_options(),
        # After a rejected post the browser opens the page at the error summary (no script).
        action=f"/facturar/{token}#errores",
    )
    return Page(422 if outcome.rejected else 200, html)
