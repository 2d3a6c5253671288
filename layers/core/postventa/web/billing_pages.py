"""The pages a buyer sees for each outcome of the billing form and the self-invoice portal, and
their Spanish text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from postventa.formatting import date_es, mask_email
from postventa.services.billing_form import (
    ClosedBecause,
    CrossOriginRejected,
    DataReceived,
    FormOutcome,
    FormToFill,
    LateRequestClosed,
    LinkExpired,
    LinkNotFound,
    LinkSuperseded,
    MalformedPost,
    Progress,
)
from postventa.services.fiscal_form import choices_for
from postventa.services.self_invoice import (
    AlreadyInvoiced,
    FormReady,
    LookupForm,
    LookupOutcome,
    LookupRejected,
    NotAskedYet,
    TooManyLookups,
)
from postventa.web import forms
from postventa.web.pages import inline_script, render


@dataclass(frozen=True)
class Page:
    """A response: status, HTML, extra headers (Location, Retry-After) and, for the portal, the
    anti-forgery token its cookie must carry."""

    status_code: int
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    csrf_cookie: str | None = None


# Where a buyer without a working link finds the order again.
FIND_YOUR_ORDER = ("Buscar mi pedido para facturar", "/facturar")


def _message(
    status: int,
    title: str,
    *paragraphs: str,
    details: list[tuple[str, str]] | None = None,
    links: list[tuple[str, str]] | None = None,
) -> Page:
    page = render(
        "message",
        title=title,
        paragraphs=list(paragraphs),
        details=details or [],
        links=links or [],
    )
    return Page(status, page)


def form_page(outcome: FormOutcome, token: str) -> Page:
    match outcome:
        case LinkNotFound():
            return _message(
                404,
                "Enlace no encontrado",
                "No encontramos este enlace de facturación. Revisa que lo hayas copiado completo "
                "desde el correo que recibiste; si lo perdiste, busca tu pedido.",
                links=[FIND_YOUR_ORDER],
            )
        case LinkExpired():
            return _closed(outcome)
        case LateRequestClosed():
            return _late_closed(outcome)
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


def lookup_page(outcome: LookupOutcome) -> Page:
    """The self-invoice portal's answer (GET /facturar and each lookup)."""
    match outcome:
        case LookupForm():
            return _lookup_form(outcome)
        case FormReady():
            return Page(303, "", {"Location": f"/facturar/{outcome.token}"})
        case TooManyLookups():
            minutes = max(1, -(-outcome.retry_after // 60))
            page = _message(
                429,
                "Demasiados intentos",
                "Por seguridad limitamos las búsquedas de pedidos que no coinciden. "
                f"Vuelve a intentarlo en {minutes} {'minuto' if minutes == 1 else 'minutos'}.",
                "Ten a la mano el correo o el comprobante de tu compra: el número de pedido y el "
                "total exacto que pagaste (con envío y centavos).",
            )
            return Page(page.status_code, page.html, {"Retry-After": str(outcome.retry_after)})
        case LookupRejected():
            page = _message(
                403,
                "Solicitud rechazada",
                "Busca tu pedido desde la página para facturar. Esa página guarda una cookie de "
                "seguridad: si tu navegador las bloquea, permítela para este sitio.",
                links=[FIND_YOUR_ORDER],
            )
            return Page(page.status_code, page.html, csrf_cookie=outcome.csrf)
        case NotAskedYet():
            return _message(
                200,
                "Aún no está abierta la solicitud de factura",
                "Encontramos tu pedido, pero todavía no está abierta la solicitud de su factura. "
                "Si acabas de pagar, vuelve a intentarlo en unos minutos; si no, escribe a la "
                "tienda donde compraste.",
                details=[("Pedido", outcome.order_number)],
            )
        case AlreadyInvoiced():
            return _invoiced(outcome)
        case DataReceived():
            return _received(outcome)
        case LinkExpired():
            return _closed(outcome)
        case LateRequestClosed():
            return _late_closed(outcome)
    assert_never(outcome)


def _late_closed(outcome: LateRequestClosed) -> Page:
    return _message(
        410,
        "Comunícate con la tienda para facturar",
        "Tu compra se incluyó en la factura global de la tienda y el plazo para solicitar tu "
        "factura en línea ya terminó.",
        f"Escríbele a {outcome.seller_name or 'la tienda'} respondiendo al correo de tu compra: "
        "ellos pueden ayudarte con tu factura.",
    )


def _closed(outcome: LinkExpired) -> Page:
    """Which case applies when the order no longer takes the buyer's data."""
    if outcome.because is ClosedBecause.STOPPED:
        return _message(
            409,
            "Por ahora no podemos recibir tus datos",
            "La tienda está revisando este pedido y en este momento no puede recibir datos "
            "fiscales.",
            "Escribe a la tienda donde compraste para que te ayude con tu factura.",
        )
    ended = f" terminó el {date_es(outcome.ended_at)}" if outcome.ended_at else " terminó"
    return _message(
        410,
        "El plazo para facturar ya venció",
        f"El plazo para solicitar la factura de este pedido, contado desde tu pago,{ended}.",
        "Tu compra se incluye en la factura global que la tienda emite al público en general.",
        "Si aún necesitas una factura a tu nombre, escribe a la tienda donde compraste.",
    )


_STEPS = ("Datos fiscales recibidos", "Factura en proceso", "Factura emitida")
_REACHED = {
    Progress.RECEIVED: 1,
    Progress.IN_PROGRESS: 2,
    Progress.INVOICED: 3,
    Progress.CANCELLED: 3,
}


def _received(outcome: DataReceived) -> Page:
    """Said once as news ("Recibimos"); on any later visit, where the invoice is and, once
    stamped, its files. The address is masked: anyone who has the link sees this page."""
    details: list[tuple[str, str]] = []
    if outcome.order_number:
        details.append(("Pedido", outcome.order_number))
    if outcome.progress is Progress.CANCELLED:
        return _message(
            200,
            "La factura de este pedido fue cancelada",
            "Si necesitas una factura nueva, escribe a la tienda donde compraste.",
            details=details,
        )
    if outcome.progress is Progress.INVOICED:
        if outcome.email:
            details.append(("La enviamos (XML y PDF) a", mask_email(outcome.email)))
        page = render(
            "message",
            title="Tu factura está lista",
            paragraphs=[
                "Ya emitimos la factura de este pedido y la enviamos por correo. También puedes "
                "descargarla aquí (las ligas vencen en 15 minutos; vuelve a esta página para "
                "obtener otras).",
            ],
            details=details,
            steps=_steps(outcome.progress),
            links=list(outcome.downloads),
        )
        return Page(200, page)
    if outcome.email:
        details.append(("Enviaremos la factura (XML y PDF) a", mask_email(outcome.email)))
    if not outcome.just_now and outcome.progress is Progress.IN_PROGRESS:
        page = render(
            "message",
            title="Tu factura está en proceso",
            paragraphs=[
                "Ya tenemos tus datos fiscales y la factura se está emitiendo. Te la enviaremos "
                "por correo en cuanto esté lista; esta página también te la mostrará.",
            ],
            details=details,
            steps=_steps(outcome.progress),
            links=[],
        )
        return Page(200, page)
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


def _steps(progress: Progress) -> list[tuple[str, bool]]:
    reached = _REACHED[progress]
    return [(label, i < reached) for i, label in enumerate(_STEPS)]


def _invoiced(outcome: AlreadyInvoiced) -> Page:
    details = [("Pedido", outcome.order_number)]
    if outcome.cancelled:
        return _message(
            200,
            "La factura de este pedido fue cancelada",
            "Si necesitas una factura nueva, escribe a la tienda donde compraste.",
            details=details,
        )
    if outcome.email:
        details.append(("Enviamos la factura (XML y PDF) a", mask_email(outcome.email)))
    return _message(
        200,
        "Tu pedido ya está facturado",
        "Ya emitimos la factura de este pedido y la enviamos por correo.",
        "Si no la encuentras, revisa tu carpeta de correo no deseado o escribe a la tienda.",
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
    every = choices_for({})
    html = render(
        "billing_form",
        order=outcome.order,
        seller_name=outcome.seller_name,
        late_notice=_LATE_NOTICE.get(outcome.late or ""),
        expires_on=date_es(outcome.expires_at) if outcome.expires_at else None,
        values=outcome.values,
        csrf=outcome.csrf,
        errors=outcome.errors,
        rfc_confirmation=outcome.rfc_confirmation.value,
        regimenes=forms.regimen_options(outcome.choices.regimenes),
        usos=forms.uso_options(outcome.choices.usos),
        every_regimen=forms.regimen_options(every.regimenes),
        every_uso=forms.uso_options(every.usos),
        choices_table=forms.choices_table(),
        script=inline_script("billing_form.js"),
        # After a rejected post the browser opens the page at the error summary (no script).
        action=f"/facturar/{token}#errores",
    )
    return Page(422 if outcome.rejected else 200, html)


def _lookup_form(outcome: LookupForm) -> Page:
    html = render(
        "self_invoice",
        stores=outcome.stores,
        values=outcome.values,
        errors=outcome.errors,
        not_found=outcome.not_found,
        csrf=outcome.csrf,
    )
    status = 404 if outcome.not_found else 422 if outcome.errors else 200
    return Page(status, html, csrf_cookie=outcome.csrf)
