"""The seller's panel as pages: what each outcome looks like, and the Spanish words for statuses,
channels, history events and refusals. Services decide; this module only shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from postventa.domain.accounts import ROLE_LABELS, Permission, Principal
from postventa.domain.clock import parse_iso
from postventa.domain.messages import CHANNEL_RULES
from postventa.domain.orders import Channel
from postventa.domain.status import OrderStatus
from postventa.web.pages import render

STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.RECEIVED: "Recibido",
    OrderStatus.BILLING_REQUESTED: "Solicitud enviada",
    OrderStatus.DATA_RECEIVED: "Datos recibidos",
    OrderStatus.IN_INBOX: "En tu bandeja",
    OrderStatus.NO_FOLIOS: "Sin folios",
    OrderStatus.STAMPING: "Timbrando",
    OrderStatus.CORRECTION: "Corrección pedida",
    OrderStatus.INVOICED: "Facturado",
    OrderStatus.GLOBAL: "Para la factura global",
    OrderStatus.IN_GLOBAL_INVOICE: "En la factura global",
    OrderStatus.LATE_REQUEST: "Solicitud tardía",
    OrderStatus.SUBSTITUTING: "Sustituyendo",
    OrderStatus.CANCELLATION_PENDING: "Cancelación pendiente",
    OrderStatus.CANCELLED: "Cancelado",
    OrderStatus.ERROR: "Error",
}
# A class per status group, for the badge's colour (the label always says it in words).
STATUS_TONES: dict[OrderStatus, str] = {
    OrderStatus.INVOICED: "ok",
    OrderStatus.ERROR: "mal",
    OrderStatus.IN_INBOX: "atencion",
    OrderStatus.NO_FOLIOS: "atencion",
    OrderStatus.CORRECTION: "atencion",
    OrderStatus.CANCELLED: "apagado",
    OrderStatus.GLOBAL: "apagado",
    OrderStatus.IN_GLOBAL_INVOICE: "apagado",
    OrderStatus.LATE_REQUEST: "atencion",
}
CHANNEL_LABELS: dict[str, str] = {c.value: r.label for c, r in CHANNEL_RULES.items()}

EVENT_LABELS = {
    "OrderReceived": "Pedido recibido",
    "BillingRequested": "Se pidieron al comprador sus datos fiscales",
    "BillingRequestFailed": "No se pudo pedir al comprador sus datos fiscales",
    "BillingDataReceived": "El comprador envió sus datos fiscales",
    "OrderHeldInInbox": "En tu bandeja, esperando tu aprobación",
    "InboxApproved": "Aprobaste los datos",
    "InboxRejected": "Rechazaste los datos",
    "FolioReserved": "Folio reservado",
    "FoliosExhausted": "Sin folios disponibles",
    "InvoiceStamped": "Factura timbrada",
    "InvoiceEmailed": "Factura enviada por correo",
    "InvoiceDeliveryFailed": "No se pudo enviar la factura por correo",
    "InvoiceFailed": "No se pudo facturar",
    "PacRejectedData": "El PAC rechazó los datos del comprador",
    "CorrectionRequested": "Se pidió al comprador corregir sus datos",
    "OrderMarkedForGlobalInvoice": "Pasó a la factura global",
    "OrderRetried": "Reintentaste la facturación",
    "OrderNotInvoiceable": "El pedido no se puede facturar",
    "LifecycleRestarted": "Se reanudó el proceso del pedido",
    "OrderStuck": "El proceso del pedido se detuvo",
    "InvoiceCancelled": "Factura cancelada",
    "BillingRequestNotSent": "El canal no aceptó el mensaje con la liga de facturación",
    "ReminderNotSent": "El canal no aceptó el recordatorio",
    "ChannelBillingDataRefused": "Los datos fiscales que dio el canal no son válidos",
    "InvoiceUploaded": "Factura subida al canal",
    "InvoiceUploadFailed": "No se pudo subir la factura al canal",
    "ShippingNoticeSent": "Aviso de envío enviado",
    "ShippingNoticeNotSent": "No se pudo enviar el aviso de envío",
    "IncludedInGlobalInvoice": "Incluido en la factura global",
    "GlobalInvoiceReissued": "Incluido en la factura global que sustituye a la anterior",
    "LateRequestReceived": "El comprador pidió su factura después del plazo",
    "GlobalInvoiceReissueStarted": "Se sustituye la factura global sin este pedido",
    "RemovedFromGlobalInvoice": "Se quitó de la factura global",
    "LateRequestFailed": "No se pudo atender la solicitud tardía",
    "CancellationRequested": "Pediste cancelar la factura",
    "CancellationRefused": "La cancelación fue rechazada",
}

NAV = (
    ("pedidos", "Pedidos", Permission.ORDERS),
    ("mensajes", "Mensajes", Permission.MESSAGES),
    ("clientes", "Clientes", Permission.CUSTOMERS),
    ("canales", "Canales", Permission.ORDERS),
    ("configuracion", "Configuración fiscal", Permission.SETTINGS),
)


@dataclass(frozen=True)
class PanelPage:
    status_code: int
    html: str


@dataclass(frozen=True)
class Chrome:
    """What every signed-in page shows around its content."""

    principal: Principal
    store_name: str
    csrf: str
    section: str = ""
    notices: list[str] = field(default_factory=list)

    def nav(self) -> list[tuple[str, str, bool]]:
        return [
            (slug, label, slug == self.section)
            for slug, label, permission in NAV
            if self.principal.can(permission)
        ]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.principal.role]


def page(name: str, chrome: Chrome | None, status: int = 200, **context: Any) -> PanelPage:
    return PanelPage(status, render(f"panel/{name}", chrome=chrome, **context))


def local_time(text: str | datetime | None) -> str:
    """An ISO time as the panel shows it: "20/11/2026 10:00" in Mexico City."""
    if not text:
        return ""
    from postventa.services.order_search import PANEL_ZONE

    moment = parse_iso(text) if isinstance(text, str) else text
    return moment.astimezone(PANEL_ZONE).strftime("%d/%m/%Y %H:%M")


def query(params: Mapping[str, object], **changes: object) -> str:
    """A query string with `changes` applied and empty values left out."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def message_page(
    status: int, title: str, *paragraphs: str, chrome: Chrome | None = None
) -> PanelPage:
    return page("message", chrome, status, title=title, paragraphs=list(paragraphs))


CHANNELS = [(c.value, CHANNEL_LABELS[c.value]) for c in Channel]
STATUSES = [(s.value, STATUS_LABELS[s]) for s in OrderStatus]
