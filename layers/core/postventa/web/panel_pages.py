"""The panel's pages, one builder per outcome, with their Spanish text."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from postventa.cfdi import catalogs
from postventa.domain.accounts import Permission
from postventa.domain.cancellations import CancellationState
from postventa.domain.customers import EXACT_FIELDS
from postventa.domain.ports import Adapters
from postventa.errors import PostventaError
from postventa.services.accounts import SIGN_IN_SLOWED, SignedInSession
from postventa.services.order_search import PAGE_SIZE, OrderDetail, OrderFilters, OrderResults
from postventa.web.panel import (
    CHANNELS,
    EVENT_LABELS,
    STATUS_LABELS,
    STATUS_TONES,
    STATUSES,
    Chrome,
    PanelPage,
    channel_label,
    local_time,
    message_page,
    page,
    query,
)

__all__ = ["Chrome", "PanelPage"]

#: What the page says after an action (the redirect's ?hecho=...).
DONE = {
    "reintentar": "Reintentamos la facturación del pedido.",
    "aprobar": "Aprobaste los datos: el pedido sigue a facturación.",
    "rechazar": "Rechazaste los datos: le pedimos al comprador que los corrija.",
    "reenviar": "Reenviamos la factura por correo.",
    "cancelar": "Pedimos la cancelación: su estado aparece en la sección Cancelaciones.",
}
ORDER_PAGE: dict[str, Any] = {
    "labels": STATUS_LABELS,
    "tones": STATUS_TONES,
    "channel_label": channel_label,
    "local_time": local_time,
    "event_labels": EVENT_LABELS,
    "query": query,
}


def register_notices(notices: Mapping[str, str]) -> None:
    """Sections add the words for their own ?hecho= codes."""
    DONE.update(notices)


def chrome(
    adapters: Adapters, current: SignedInSession, section: str, done: str | None = None
) -> Chrome:
    tenant = adapters.tenants.get(current.principal.tenant_id)
    notices = [DONE[done]] if done in DONE else []
    return Chrome(
        principal=current.principal,
        store_name=tenant.name if tenant else current.principal.tenant_id,
        csrf=current.session.csrf,
        section=section,
        notices=notices,
    )


def first_section(principal: Any) -> str | None:
    from postventa.web.panel import NAV

    return next((slug for slug, _, permission in NAV if principal.can(permission)), None)


def no_sections(chrome: Chrome) -> PanelPage:
    return message_page(
        200,
        "Tu cuenta es de revendedor",
        "Aquí verás las cuentas de tus clientes y sus folios cuando se active el panel de "
        "revendedores. Por ahora no hay secciones de tienda para tu usuario.",
        chrome=chrome,
    )


# ---------------------------------------------------------------- signing in
_SIGN_IN_NOTICES = {
    "salida": "Cerraste tu sesión.",
    "vencida": "Tu sesión terminó. Vuelve a entrar para continuar.",
}
_SIGN_IN_ERRORS = {
    "credenciales": "El correo o la contraseña no son correctos.",
    "sin_acceso": "Tu usuario no tiene acceso a ninguna tienda activa. Pide al dueño de la "
    "cuenta que te invite.",
    "reto_vencido": "Pasó demasiado tiempo: vuelve a entrar con tu contraseña temporal.",
    "origen": "Envía el formulario desde esta página: recárgala y vuelve a probar.",
    "limite": SIGN_IN_SLOWED,
}


def sign_in(next_path: str, *, notice: str = "", email: str = "", error: str = "") -> PanelPage:
    status = {"": 200, "limite": 429, "origen": 403}.get(error, 401)
    return page(
        "sign_in",
        None,
        status,
        next_path=next_path,
        notice=_SIGN_IN_NOTICES.get(notice, ""),
        email=email,
        error=_SIGN_IN_ERRORS.get(error, ""),
    )


def new_password(
    email: str, challenge: str, next_path: str, error: str = "", status: int = 200
) -> PanelPage:
    from postventa.storage.identity import LOGIN_RULES_ES

    return page(
        "new_password",
        None,
        status,
        email=email,
        challenge=challenge,
        next_path=next_path,
        error=error,
        rules=LOGIN_RULES_ES,
    )


# ---------------------------------------------------------------- orders
def order_filters(params: Mapping[str, str]) -> tuple[OrderFilters, str]:
    """The list's filters from the query string; a wrong one is dropped and said."""
    try:
        return OrderFilters.model_validate(dict(params)), ""
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        if not wrong:  # the dates are backwards
            kept = {k: v for k, v in params.items() if k not in ("desde", "hasta")}
            return OrderFilters.model_validate(kept), "La fecha «desde» es posterior a «hasta»."
        kept = {k: v for k, v in params.items() if k not in wrong}
        return OrderFilters.model_validate(kept), "Quitamos filtros no válidos: " + ", ".join(
            sorted(wrong)
        ) + "."


def orders(
    chrome: Chrome,
    filters: OrderFilters,
    results: OrderResults,
    params: Mapping[str, str],
    problem: str,
) -> PanelPage:
    return page(
        "orders",
        chrome,
        filters=filters,
        orders=results.orders,
        next_cursor=results.next_cursor,
        params=dict(params),
        filter_error=problem,
        statuses=STATUSES,
        channels=CHANNELS,
        page_size=PAGE_SIZE,
        **ORDER_PAGE,
    )


def order(chrome: Chrome, detail: OrderDetail) -> PanelPage:
    from postventa.services.order_search import CANCEL_MOTIVOS
    from postventa.web.forms import regimen_options, uso_options

    cancel: dict[str, Any] = {}
    if "cancelar" in detail.actions and chrome.principal.can(Permission.SETTINGS):
        cancel = {
            "motivos": CANCEL_MOTIVOS,
            "regimenes": regimen_options(sorted(catalogs.regimenes_fiscales())),
            "usos": uso_options(sorted(catalogs.usos_cfdi())),
        }
    return page(
        "order",
        chrome,
        detail=detail,
        cancel=cancel,
        cancellation_states=CANCELLATION_STATES,
        **ORDER_PAGE,
    )


#: How the order page names a cancellation's state (domain/cancellations.CancellationState).
CANCELLATION_STATES: dict[str, str] = {
    CancellationState.SUBSTITUTING: "Emitiendo el CFDI que la sustituye",
    CancellationState.REQUESTED: "Solicitada: la enviaremos al PAC",
    CancellationState.PENDING: "Esperando que el receptor la acepte",
    CancellationState.ACCEPTED: "Cancelada",
    CancellationState.REJECTED: "El receptor la rechazó: la factura sigue vigente",
    CancellationState.EXPIRED: "Cancelada (el receptor no respondió a tiempo)",
    CancellationState.REFUSED: "No procede: la factura sigue vigente",
}


# ---------------------------------------------------------------- errors
_ERROR_TITLES = {
    400: "Revisa lo que enviaste",
    401: "Entra de nuevo",
    403: "No tienes permiso",
    404: "No encontrado",
    409: "Ya no se puede",
    410: "Ya no está disponible",
    413: "Archivo demasiado grande",
    422: "Revisa lo que enviaste",
    429: "Demasiados intentos",
}


def error(exc: PostventaError, chrome: Chrome | None, **_: Any) -> PanelPage:
    status = exc.status_code if exc.status_code < 500 else 500
    title = _ERROR_TITLES.get(status, "Algo salió mal")
    return message_page(status, title, exc.message, chrome=chrome)


# ---------------------------------------------------------------- messages
register_notices(
    {
        "mensaje_guardado": "Guardamos la plantilla: los próximos mensajes la usan.",
        "mensaje_restaurado": "Volviste a la plantilla predeterminada.",
        "mensajes_activos": "Guardamos qué mensajes se envían en este canal.",
        "aviso_guardado": "Guardamos el aviso de envío: los próximos avisos lo usan.",
        "aviso_restaurado": "El aviso de envío volvió al texto predeterminado.",
    }
)
_PART_LABELS = {"subject": "Asunto", "text": "Texto", "html": "HTML (opcional)"}
_PART_HINTS = {
    "subject": "Una sola línea.",
    "text": "Debe incluir {{ liga }} donde el canal la pide.",
    "html": "Si lo dejas vacío, lo armamos con el texto.",
}


def messages(chrome: Chrome, listing: dict[str, Any], tenant: Any) -> PanelPage:
    rows = [
        {
            "channel": t["channel"],
            "label": t["label"],
            "custom": t["custom"],
            "sending": t["sending"],
            "delivery": "correo" if t["delivery"] == "correo" else "mensajería del canal",
            "on": tenant.messaging_for(t["channel"]).billing_request,
        }
        for t in listing["templates"]
    ]
    return page("messages", chrome, rows=rows)


def count_texts(preview: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Each part's character count against its limit, as the page (and the live count) says it."""
    counts = (preview or {}).get("characters") or {}
    out: dict[str, dict[str, Any]] = {}
    for part, entry in counts.items():
        text = f"{entry['count']:,} de {entry['limit']:,} caracteres"
        over = entry["count"] > entry["limit"]
        if "editable_count" in entry:
            text += (
                f" con la liga; texto editable: {entry['editable_count']:,} de "
                f"{entry['editable_limit']:,}"
            )
            over = over or entry["editable_count"] > entry["editable_limit"]
        out[part] = {"text": text + " (con el pedido de ejemplo)", "over": over}
    return out


def message_edit(
    chrome: Chrome,
    view: dict[str, Any],
    switches: Any,
    preview: dict[str, Any] | None,
    body: dict[str, str] | None = None,
    *,
    reminder: bool = False,
    problems: list[Any] | None = None,
    status: int = 200,
    shipping: dict[str, Any] | None = None,
    shipping_text: str | None = None,
    shipping_problems: list[str] | None = None,
) -> PanelPage:
    """The channel's billing message; with `shipping` (Mercado Libre's), its shipping notice
    too: the text as saved (or `shipping_text` as posted) and what was wrong with it."""
    values = body if body is not None else view["template"]
    counts = count_texts(preview)
    parts = [
        {
            "name": name,
            "label": _PART_LABELS[name],
            "value": values.get(name) or "",
            "limit": view["limits"]["max_chars"].get(name, 0),
            "hint": _PART_HINTS[name],
            "count_text": counts.get(name, {}).get("text", ""),
            "over": counts.get(name, {}).get("over", False),
        }
        for name in view["limits"]["parts"]
    ]
    return page(
        "message_edit",
        chrome,
        status,
        view=view,
        switches=switches,
        shipping=shipping,
        shipping_text=shipping["template"]["text"]
        if shipping and shipping_text is None
        else shipping_text,
        shipping_problems=shipping_problems or [],
        preview=preview,
        parts=parts,
        reminder=reminder,
        problems=problems or [],
    )


def _saved_text(shipping: dict[str, Any] | None) -> str:
    return str(shipping["template"]["text"]) if shipping else ""


def template_body(form: Any, view: dict[str, Any]) -> Any:
    """The template the form posted, with the parts the channel has (422 on an oversized one)."""
    from postventa.domain.messages import TemplateBody
    from postventa.services.message_templates import parse_json_body

    parts = {name: form.get(name) for name in view["limits"]["parts"]}
    if "html" in parts and not parts["html"].strip():
        parts["html"] = None
    return parse_json_body(TemplateBody, json.dumps(parts))


def counts_json(preview: dict[str, Any]) -> dict[str, Any]:
    return {
        "parts": count_texts(preview),
        "problems": [p["message"] for p in preview["problems"]],
    }


# ---------------------------------------------------------------- fiscal settings
register_notices(
    {
        "emisor": "Guardamos los datos del emisor.",
        "csd": "Tu CSD pasó todas las revisiones y quedó guardado.",
        "pac": "Guardamos el PAC.",
        "facturacion": "Guardamos cómo facturamos.",
        "clave_defecto": "Guardamos la clave por omisión.",
        "clave_quitada": "Quitamos las claves de ese SKU.",
        "erp": "Guardamos los datos de tu ERP.",
    }
)
PACS = [
    ("sandbox", "Sandbox de Postventa (pruebas, sin validez fiscal)"),
    ("finkok", "Finkok"),
    ("swsapien", "SW Sapien"),
    ("facturama", "Facturama"),
]
PERIODICITIES = [
    ("01", "Diaria"),
    ("02", "Semanal"),
    ("03", "Quincenal"),
    ("04", "Mensual"),
    ("05", "Bimestral (solo régimen 621)"),
]
TAXES = [
    ("iva16", "IVA 16 %"),
    ("iva8", "IVA 8 % (región fronteriza)"),
    ("iva0", "IVA 0 %"),
    ("exento", "Exento"),
    ("no_objeto", "No objeto de impuesto"),
]


def settings(
    chrome: Chrome,
    view: Any,
    *,
    max_deadline_seconds: int,
    section: str = "",
    problems: list[Any] | None = None,
    posted: Mapping[str, str] | None = None,
    report: Any = None,
    erp_secret: str | None = None,
    status: int = 200,
) -> PanelPage:
    from postventa.web.forms import regimen_options

    return page(
        "settings",
        chrome,
        status,
        settings=view,
        errors={section: problems} if problems else {},
        posted_section=section,
        posted=dict(posted or {}),
        report=report,
        erp_secret=erp_secret,
        regimenes=regimen_options(sorted(catalogs.regimenes_fiscales())),
        pacs=PACS,
        periodicities=PERIODICITIES,
        taxes=TAXES,
        max_days=max_deadline_seconds // 86400,
        local_time=local_time,
    )


SECTION_ANCHORS = {
    "emisor": "emisor",
    "csd": "csd",
    "pac": "pac",
    "facturacion": "facturacion",
    "clave_defecto": "claves",
    "clave_quitada": "claves",
    "erp": "erp",
}


def invoicing_form(form: Any) -> Any:
    """The invoicing-policy form, or the problems with its fields (422)."""
    from postventa.services.fiscal_settings import InvoicingForm, Problem, SettingsRefusedError

    try:
        return InvoicingForm.model_validate(
            {**form.as_dict(), "facturar_automatico": form.checked("facturar_automatico")}
        )
    except ValidationError as exc:
        messages = {
            "plazo_dias": "El plazo es un número de días, de 1 en adelante.",
            "periodicidad": "Elige la periodicidad de la factura global.",
        }
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        raise SettingsRefusedError(
            [Problem(f, messages.get(f, "Revisa este dato.")) for f in fields]
        ) from None


def save_erp(tenant_id: str, form: Any, adapters: Adapters) -> tuple[dict[str, Any], bool]:
    """The ERP's URL through the ERP service (decision 0014); its own refusals as problems."""
    from postventa.domain.erp import InvalidErpUrlError
    from postventa.services import erp
    from postventa.services.fiscal_settings import Problem, SettingsRefusedError

    try:
        body = erp.ErpSettingsBody(
            url=form.get("url").strip() or " ", enabled=form.checked("activo")
        )
        return erp.configure(tenant_id, body, adapters)
    except (InvalidErpUrlError, ValidationError) as exc:
        message = getattr(exc, "message", "Escribe la URL de tu ERP.")
        raise SettingsRefusedError([Problem("url", message)]) from None


# ---------------------------------------------------------------- customers
register_notices(
    {
        "cliente_creado": "Dimos de alta al cliente.",
        "cliente_guardado": "Guardamos los cambios del cliente.",
        "cliente_desactivado": "Desactivamos al cliente: ya no aparece en la lista (no se borró).",
        "cliente_reactivado": "Reactivamos al cliente.",
    }
)
FORMAS_PAGO = [
    ("01", "01 · Efectivo"),
    ("02", "02 · Cheque nominativo"),
    ("03", "03 · Transferencia electrónica de fondos"),
    ("04", "04 · Tarjeta de crédito"),
    ("05", "05 · Monedero electrónico"),
    ("06", "06 · Dinero electrónico"),
    ("08", "08 · Vales de despensa"),
    ("12", "12 · Dación en pago"),
    ("13", "13 · Pago por subrogación"),
    ("14", "14 · Pago por consignación"),
    ("15", "15 · Condonación"),
    ("17", "17 · Compensación"),
    ("23", "23 · Novación"),
    ("24", "24 · Confusión"),
    ("25", "25 · Remisión de deuda"),
    ("26", "26 · Prescripción o caducidad"),
    ("27", "27 · A satisfacción del acreedor"),
    ("28", "28 · Tarjeta de débito"),
    ("29", "29 · Tarjeta de servicios"),
    ("30", "30 · Aplicación de anticipos"),
    ("31", "31 · Intermediario pagos"),
    ("99", "99 · Por definir"),
]
CUSTOMER_LABELS = {
    "tipo_persona": "Tipo de persona",
    "nombre": "Nombre",
    "primer_nombre": "Primer nombre",
    "segundo_nombre": "Segundo nombre",
    "primer_apellido": "Primer apellido",
    "segundo_apellido": "Segundo apellido",
    "rfc": "RFC",
    "email": "Correo principal",
    "emails_notificar": "Emails a notificar",
    "telefono": "Teléfono",
    "celular": "Teléfono celular",
    "observaciones": "Observaciones",
    "calle": "Calle y número",
    "colonia": "Colonia",
    "ciudad": "Ciudad",
    "estado": "Estado",
    "codigo_postal": "Código postal",
    "zona": "Zona",
    "vendedor": "Vendedor",
    "cobrador": "Cobrador",
    "facturacion_habilitada": "Facturación habilitada",
    "emisor_rfc": "Razón social que lo factura",
    "regimen_fiscal": "Régimen fiscal",
    "uso_cfdi": "Uso del CFDI",
    "forma_pago": "Forma de pago",
    "metodo_pago": "Método de pago",
    "avisar_factura": "Enviar correo con factura emitida",
    "avisar_pago": "Enviar correo cuando se crea un pago",
    "activo": "Activo",
}
_CUSTOMER_CHECKBOXES = ("facturacion_habilitada", "avisar_factura", "avisar_pago")


def customer_data(form: Any) -> Any:
    """The customer form as CustomerData, or the problems with its fields (422)."""
    from postventa.domain.customers import CustomerData
    from postventa.services.customers import CustomerRefusedError

    values: dict[str, Any] = {
        k: v for k, v in form.as_dict().items() if k in CustomerData.model_fields
    }
    listed = re.split(r"[,;\s]+", form.get("emails_notificar"))
    values["emails_notificar"] = [e for e in listed if e]
    for name in _CUSTOMER_CHECKBOXES:
        values[name] = form.checked(name)
    try:
        return CustomerData.model_validate(values)
    except ValidationError as exc:
        fields = {
            str(e["loc"][0]): f"Revisa «{CUSTOMER_LABELS.get(str(e['loc'][0]), e['loc'][0])}»."
            for e in exc.errors()
            if e["loc"]
        }
        if "tipo_persona" in fields:
            fields["tipo_persona"] = "Elige el tipo de persona."
        raise CustomerRefusedError(fields) from None


def _customer_choices(tenant: Any) -> dict[str, Any]:
    from postventa.domain.customers import PERSON_LABELS
    from postventa.web.forms import regimen_options, uso_options

    issuers = (
        [(tenant.issuer.rfc, f"{tenant.issuer.nombre} ({tenant.issuer.rfc})")]
        if (tenant and tenant.issuer)
        else []
    )
    return {
        "persons": [(p.value, label) for p, label in PERSON_LABELS.items()],
        "regimenes": regimen_options(sorted(catalogs.regimenes_fiscales())),
        "usos": uso_options(sorted(catalogs.usos_cfdi())),
        "formas": FORMAS_PAGO,
        "issuers": issuers,
        "labels": CUSTOMER_LABELS,
        "local_time": local_time,
    }


def customer_form(
    chrome: Chrome,
    tenant: Any,
    *,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    customer: Any = None,
    status: int = 200,
) -> PanelPage:
    return page(
        "customer_form",
        chrome,
        status,
        values=dict(values),
        errors=dict(errors or {}),
        customer=customer,
        **_customer_choices(tenant),
    )


def customer_values(customer: Any) -> dict[str, Any]:
    values = customer.data().model_dump(mode="json")
    values["emails_notificar"] = ", ".join(customer.emails_notificar)
    return values


def posted_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(form.as_dict())
    for name in _CUSTOMER_CHECKBOXES:
        values[name] = form.checked(name)
    return values


AUDIT_ACTIONS = {
    "alta": "Alta",
    "cambio": "Cambio",
    "desactivacion": "Desactivación",
    "reactivacion": "Reactivación",
    "cambio_masivo": "Cambio masivo",
}


def customer(
    chrome: Chrome,
    tenant: Any,
    view: Any,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> PanelPage:
    return page(
        "customer",
        chrome,
        status,
        view=view,
        customer=view.customer,
        values=dict(values) if values is not None else customer_values(view.customer),
        errors=dict(errors or {}),
        actions=AUDIT_ACTIONS,
        **_customer_choices(tenant),
    )


def customer_rename(chrome: Chrome, warning: Any, form: Any) -> PanelPage:
    posted = [(k, v) for k, v in form.as_dict().items() if k != "confirmar_nombre"]
    return page(
        "customer_rename",
        chrome,
        409,
        customer=warning.customer,
        invoices=warning.invoices,
        posted=posted,
        notify=form.get("emails_notificar"),
    )


# The search form's own fields: the free text, each exact field, which customers.
SEARCH_FIELDS = ("texto", *EXACT_FIELDS, "estatus")


def query_fields(params: Mapping[str, str]) -> list[tuple[str, str]]:
    """The search's own fields (no cursor), to carry in a form's hidden inputs."""
    return [(k, params[k]) for k in SEARCH_FIELDS if params.get(k)]


def customers(
    chrome: Chrome, tenant: Any, search: Any, results: Any, params: Mapping[str, str]
) -> PanelPage:
    return page(
        "customers",
        chrome,
        search=search,
        results=results,
        params=dict(params),
        hidden_query=query_fields(params),
        query=query,
        advanced=any(params.get(k) for k in SEARCH_FIELDS[1:-1]),
        **_customer_choices(tenant),
    )


def mass_preview(chrome: Chrome, preview: Any, form: Any) -> PanelPage:
    """What would change; the confirmation form carries everything that was posted."""
    carried = [(k, v) for k, v in form.pairs() if k not in ("csrf", "entiendo")]
    return page(
        "mass_preview",
        chrome,
        preview=preview,
        carried=carried,
        labels=CUSTOMER_LABELS,
        shown=_shown_change,
    )


MASS_FIELDS = (
    "zona",
    "vendedor",
    "cobrador",
    "facturacion_habilitada",
    "uso_cfdi",
    "forma_pago",
    "metodo_pago",
    "avisar_factura",
    "avisar_pago",
    "activo",
)


def _shown_change(value: Any) -> str:
    if isinstance(value, bool):
        return "sí" if value else "no"
    return str(value) if value != "" else "(vacío)"


def mass_changes(form: Any) -> Any:
    """The mass update's changes: each field comes as cambiar_<field>=1 plus its new value
    (a field not ticked stays as each customer has it)."""
    from postventa.services.customer_jobs import MassChanges

    wanted: dict[str, Any] = {}
    for name in MASS_FIELDS:
        if not form.checked(f"cambiar_{name}"):
            continue
        value = form.get(f"nuevo_{name}")
        if name in ("facturacion_habilitada", "avisar_factura", "avisar_pago", "activo"):
            wanted[name] = value == "si"
        else:
            wanted[name] = value
    try:
        return MassChanges.model_validate(wanted)
    except ValidationError:
        from postventa.errors import BadRequestError

        raise BadRequestError("Revisa los valores nuevos del cambio masivo.") from None


def job(chrome: Chrome, job: Any) -> PanelPage:
    return page("job", chrome, job=job, local_time=local_time)


# ---------------------------------------------------------------- channels
register_notices(
    {
        "canal_conectado": "Canal conectado: los pedidos pagados nuevos llegarán solos.",
        "canal_desconectado": "Canal desconectado: olvidamos sus credenciales.",
    }
)
#: ConnectBody's fields as the page names them (a refused value is never shown back).
CHANNEL_FIELDS = {
    "webhook_secret": "Clave de firma",
    "refresh_token": "Refresh token de Login with Amazon",
    "selling_partner_id": "Merchant ID",
    "marketplace_id": "Marketplace",
    "api_key": "API key",
}
CONNECTION_STATES = {
    "sin_conectar": ("Sin conectar", "apagado"),
    "conectada": ("Conectado", "ok"),
    "rota": ("Conexión rota", "error"),
    "desconectada": ("Desconectado", "apagado"),
}


def channels(
    chrome: Chrome,
    listing: dict[str, Any],
    status: int = 200,
    *,
    focus: str = "",
    problems: list[str] | None = None,
    shown_secret: str | None = None,
    tested: dict[str, Any] | None = None,
    authorize_url: str | None = None,
) -> PanelPage:
    """Every channel: how its orders arrive, its state, and (the owner's) connect, test and
    disconnect. `focus` is the channel a post concerned: its problems, its secret shown once,
    its test's answer, or the link to authorize us on the channel (valid 10 minutes)."""
    return page(
        "channels",
        chrome,
        status,
        channels=listing["channels"],
        states=CONNECTION_STATES,
        can_connect=chrome.principal.can(Permission.CREDENTIALS),
        focus=focus,
        problems=problems or [],
        shown_secret=shown_secret,
        tested=tested,
        authorize_url=authorize_url,
        local_time=local_time,
    )


def connection_problems(exc: ValidationError) -> list[str]:
    """ConnectBody's refusals in Spanish, naming the field as the page does."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        label = CHANNEL_FIELDS.get(field, field)
        if error["type"] == "string_too_short":
            problems.append(f"{label}: es demasiado corto; cópialo completo.")
        elif error["type"] == "string_too_long":
            problems.append(f"{label}: es demasiado largo.")
        elif error["type"] == "string_pattern_mismatch":
            problems.append(f"{label}: solo letras mayúsculas y números (8 a 20).")
        else:
            problems.append(f"{label}: no es válido.")
    return problems
