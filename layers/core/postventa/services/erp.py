"""Sending each stamped or cancelled invoice to the seller's ERP (decision 0014, erp-handoff).

Two sides:
- the seller's settings (seller API `/api/v1/erp`): the URL, on/off, a signing secret we generate
  and show once (rotatable), a signed test `ping`, the delivery log and a redeliver action;
- the forwarder (ErpForwarderFunction, fed by the ERP queue): each `InvoiceStamped` or
  `InvoiceCancelled` event (an order's invoice), and each `GlobalInvoiceStamped` or
  `GlobalInvoiceCancelled` event (a CFDI of the periodic global invoice, decision 0015), of a
  tenant whose ERP is on becomes one signed JSON POST (docs/formats/erp-webhook.md), retried
  with a growing delay, every attempt in the log.

The delivery of one bus event is idempotent per (tenant, event id): an SQS redelivery of an
event already delivered, refused or skipped does not POST again, and two copies of one message
never POST at the same time (an attempt takes a lease on the log record).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from postventa.domain.clock import epoch, iso
from postventa.domain.erp import (
    FORWARDED_EVENTS,
    MAX_ATTEMPTS,
    PING_EVENT,
    SETTLED,
    AttemptOutcome,
    DeliveryStatus,
    ErpDelivery,
    ErpEndpoint,
    PostResult,
    Verdict,
    check_url,
    retry_delay,
    signed_headers,
)
from postventa.domain.global_invoices import run_period_key
from postventa.domain.global_periods import Periodicidad, parse_period
from postventa.domain.orders import OrderRecord, OrderRef, is_safe_id
from postventa.domain.ports import Adapters
from postventa.errors import ConflictError, NotFoundError
from postventa.observability import logger
from postventa.services.seller_api import PageQuery
from postventa.storage.documents import InvoiceKeyError
from postventa.storage.keys import global_invoice_prefix

#: An attempt holds the delivery for this long (a POST takes POST_TIMEOUT_SECONDS per connect and
#: read at most); a copy of the message arriving meanwhile looks again afterwards.
LEASE_SECONDS = 60
# A prefix, not a secret: recognisable by secret scanners and by a person reading a config.
SECRET_PREFIX = "pverp_"  # noqa: S105

_NOT_CONFIGURED = "El envío al ERP no está configurado."


# ---------------------------------------------------------------------- the seller's settings
class ErpSettingsBody(BaseModel):
    """PUT /api/v1/erp body."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048)
    enabled: bool = True


def new_signing_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _configured(tenant_id: str, adapters: Adapters) -> ErpEndpoint:
    endpoint = adapters.erp_endpoints.get(tenant_id)
    if endpoint is None:
        raise NotFoundError(_NOT_CONFIGURED + " Configúralo con PUT /api/v1/erp.")
    return endpoint


def configure(
    tenant_id: str, body: ErpSettingsBody, adapters: Adapters
) -> tuple[dict[str, Any], bool]:
    """Save the URL and on/off; the first time (or when no secret exists) also generate the
    signing secret and return it in `signing_secret`, the only time it is shown. Returns the
    view and whether the secret was created."""
    url = check_url(body.url.strip(), allow_loopback=adapters.settings.erp_allow_loopback)
    now = iso(adapters.clock.now())
    current = adapters.erp_endpoints.get(tenant_id)
    secret = None
    if current is None or adapters.erp_endpoints.signing_secret(tenant_id) is None:
        secret = new_signing_secret()
        adapters.erp_endpoints.put_signing_secret(tenant_id, secret)
    endpoint = ErpEndpoint(
        tenant_id=tenant_id,
        url=url,
        enabled=body.enabled,
        created_at=current.created_at if current else now,
        updated_at=now,
        secret_rotated_at=now if secret or current is None else current.secret_rotated_at,
    )
    adapters.erp_endpoints.put(endpoint)
    logger.info("erp settings saved", extra={"enabled": body.enabled, "new_secret": bool(secret)})
    view = endpoint.public_view()
    if secret:
        view["signing_secret"] = secret
    return view, secret is not None


def show(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    return _configured(tenant_id, adapters).public_view()


def rotate_secret(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    """A new signing secret, effective from the next POST; shown in this answer only."""
    endpoint = _configured(tenant_id, adapters)
    secret = new_signing_secret()
    adapters.erp_endpoints.put_signing_secret(tenant_id, secret)
    now = iso(adapters.clock.now())
    endpoint = endpoint.model_copy(update={"secret_rotated_at": now, "updated_at": now})
    adapters.erp_endpoints.put(endpoint)
    logger.info("erp signing secret rotated")
    return {**endpoint.public_view(), "signing_secret": secret}


def _secret(tenant_id: str, adapters: Adapters) -> str:
    secret = adapters.erp_endpoints.signing_secret(tenant_id)
    if secret is None:
        raise ConflictError(
            "No hay secreto de firma para el ERP: genera uno con POST /api/v1/erp/rotate-secret."
        )
    return secret


def _post(
    endpoint: ErpEndpoint, body: bytes, *, event: str, delivery_id: str, adapters: Adapters
) -> PostResult:
    """Sign `body` with a fresh timestamp and POST it once."""
    secret = _secret(endpoint.tenant_id, adapters)
    timestamp = str(epoch(adapters.clock.now()))
    headers = signed_headers(secret, timestamp, body, event=event, delivery_id=delivery_id)
    allow_loopback = adapters.settings.erp_allow_loopback
    return adapters.erp_poster.post(endpoint.url, body, headers, allow_loopback=allow_loopback)


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed): compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def send_test(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    """POST a signed `ping` now (on or off), so the seller can check URL and verification."""
    endpoint = _configured(tenant_id, adapters)
    delivery_id = f"ping-{uuid.uuid4().hex}"
    payload = {
        "event": PING_EVENT,
        "delivery_id": delivery_id,
        "tenant_id": tenant_id,
        "occurred_at": iso(adapters.clock.now()),
    }
    result = _post(
        endpoint, encode_body(payload), event=PING_EVENT, delivery_id=delivery_id, adapters=adapters
    )
    answer: dict[str, Any] = {
        "delivered": result.verdict is Verdict.DELIVERED,
        "delivery_id": delivery_id,
        "duration_ms": result.duration_ms,
    }
    if result.status_code is not None:
        answer["status_code"] = result.status_code
    if result.error:
        answer["error"] = result.error
    return answer


class DeliveriesQuery(PageQuery):
    """GET /api/v1/erp/deliveries query string."""

    cursor: str | None = Field(None, min_length=1, max_length=1024)


def list_deliveries(
    tenant_id: str, adapters: Adapters, *, limit: int = 50, cursor: str | None = None
) -> dict[str, Any]:
    page = adapters.erp_deliveries.list_recent(tenant_id, limit, cursor)
    body: dict[str, Any] = {"deliveries": [d.public_view() for d in page.deliveries]}
    if page.next_cursor:
        body["next_cursor"] = page.next_cursor
    return body


class RedeliveryRequest(BaseModel):
    """What the redeliver action queues (beside the bus's own events)."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    delivery_id: str
    round: int = Field(ge=0)


def redeliver(tenant_id: str, delivery_id: str, adapters: Adapters) -> dict[str, Any]:
    """Queue a delivery again, whatever its state: a new round, attempts from zero."""
    if not is_safe_id(delivery_id):
        raise NotFoundError("Envío no encontrado.")  # no key is built from what cannot exist
    endpoint = adapters.erp_endpoints.get(tenant_id)
    if endpoint is None or not endpoint.enabled:
        raise ConflictError("El envío al ERP está desactivado: actívalo antes de reenviar.")
    reopened = adapters.erp_deliveries.reopen(tenant_id, delivery_id, at=iso(adapters.clock.now()))
    if reopened is None:
        raise NotFoundError("Envío no encontrado.")
    request = RedeliveryRequest(tenant_id=tenant_id, delivery_id=delivery_id, round=reopened.round)
    adapters.erp_queue.send(json.dumps({"redeliver": request.model_dump()}))
    logger.info("erp delivery re-queued", extra={"round": reopened.round})
    return reopened.public_view()


# ---------------------------------------------------------------------- the bus events
_EVENT_CONFIG = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


def _safe_id(value: str) -> str:
    if not is_safe_id(value):
        raise ValueError("not a safe id")
    return value


#: An id that becomes part of a key: a bus event's value is checked before it names anything.
SafeId = Annotated[str, AfterValidator(_safe_id)]


class _EventDetail(BaseModel):
    """What every forwarded event carries."""

    model_config = _EVENT_CONFIG

    tenant_id: SafeId
    occurred_at: str
    uuid: str

    def log_fields(self) -> dict[str, str]:
        """What the delivery log shows of the event besides its type and state."""
        return {"uuid": self.uuid}


class _InvoiceEventDetail(_EventDetail):
    """An order's invoice (decision 0014)."""

    channel: SafeId
    order_id: SafeId

    @property
    def ref(self) -> OrderRef:
        return OrderRef(tenant_id=self.tenant_id, channel=self.channel, order_id=self.order_id)

    def log_fields(self) -> dict[str, str]:
        return {**super().log_fields(), "channel": self.channel, "order_id": self.order_id}


class InvoiceStampedDetail(_InvoiceEventDetail):
    serie: str | None = None
    folio: str | None = None
    total: str
    currency: str
    xml_key: str


class InvoiceCancelledDetail(_InvoiceEventDetail):
    motivo: str
    status: str


class _GlobalEventDetail(_EventDetail):
    """One CFDI of a periodic global invoice (decision 0015): no order; its run, the CFDI's
    index in the run, and the period (whose key the run id starts with)."""

    run_id: str
    period: str
    index: int = Field(ge=0)

    @model_validator(mode="after")
    def _run_of_period(self) -> _GlobalEventDetail:
        if run_period_key(self.run_id) != self.period:
            raise ValueError("run_id is not a run of the period")
        global_period_view(self.period)  # the first day of a period of its periodicity
        return self

    def log_fields(self) -> dict[str, str]:
        return {**super().log_fields(), "period": self.period, "run_id": self.run_id}


class GlobalInvoiceStampedDetail(_GlobalEventDetail):
    serie: str | None = None
    folio: str | None = None
    total: str
    xml_key: str
    replaces: str | None = None  # a re-issue: the UUID of the global CFDI it replaces


class GlobalInvoiceCancelledDetail(_GlobalEventDetail):
    motivo: str
    status: str


_DETAILS: dict[str, type[_EventDetail]] = {
    "InvoiceStamped": InvoiceStampedDetail,
    "InvoiceCancelled": InvoiceCancelledDetail,
    "GlobalInvoiceStamped": GlobalInvoiceStampedDetail,
    "GlobalInvoiceCancelled": GlobalInvoiceCancelledDetail,
}


class MalformedErpMessageError(ValueError):
    """A queued message that is neither a forwarded bus event nor a redelivery request: it can
    never succeed, so it goes to the DLQ after the queue's receives (nothing is lost)."""


class BusEvent(EventBridgeModel):
    """A forwarded event as the rule puts it on the queue: the whole EventBridge envelope."""

    detail: dict[str, Any]


class QueuedEvent(BaseModel):
    """What the forwarder needs of a bus event, and what the delivery log keeps of it to
    rebuild the same body on a redelivery (the event carries no personal data)."""

    id: str
    detail_type: str
    time: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: BusEvent) -> QueuedEvent:
        return cls(
            id=event.id, detail_type=event.detail_type, time=iso(event.time), detail=event.detail
        )


class Forwarded(StrEnum):
    """What became of one queued message (besides RetryLaterError)."""

    DELIVERED = "delivered"
    REFUSED = "refused"  # the ERP answered 4xx (or we may not send to that address)
    NOT_CONFIGURED = "not_configured"  # the tenant has no ERP, or it is off
    ALREADY_SETTLED = "already_settled"  # a redelivered message of a settled delivery
    STALE = "stale"  # the seller re-queued the delivery since this message was sent
    IGNORED = "ignored"  # an event type the ERP does not get


class RetryLaterError(Exception):
    """The message must come back: its visibility was set to the next attempt's delay (the
    batch reports it as failed, so SQS keeps it)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"retry in {seconds} s")
        self.seconds = seconds


def _read_message(body: str, adapters: Adapters) -> tuple[QueuedEvent, int] | Forwarded:
    """The bus event a message is about and the round it belongs to."""
    try:
        data = json.loads(body)
    except ValueError:
        raise MalformedErpMessageError("message is not JSON") from None
    try:
        if isinstance(data, dict) and "redeliver" in data:
            request = RedeliveryRequest.model_validate(data["redeliver"])
            stored = adapters.erp_deliveries.get(request.tenant_id, request.delivery_id)
            if stored is None or stored.round != request.round:
                return Forwarded.STALE
            return QueuedEvent.model_validate(stored.event), request.round
        return QueuedEvent.of(BusEvent.model_validate(data)), 0
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
        raise MalformedErpMessageError(f"invalid message: {fields}") from None


def _detail(event: QueuedEvent) -> _EventDetail:
    try:
        return _DETAILS[event.detail_type].model_validate(event.detail)
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
        raise MalformedErpMessageError(f"{event.detail_type} without {fields}") from None


def forward_message(
    body: str, *, attempt: int, receipt_handle: str, adapters: Adapters
) -> Forwarded:
    """Deliver the event a queued message carries (attempt = its SQS receive count).

    Raises RetryLaterError after scheduling the next attempt, MalformedErpMessageError for a
    message that can never be delivered."""
    read = _read_message(body, adapters)
    if isinstance(read, Forwarded):
        return read
    event, message_round = read
    if event.detail_type not in FORWARDED_EVENTS:
        return Forwarded.IGNORED
    detail = _detail(event)
    tenant_id = detail.tenant_id
    logger.append_keys(tenant_id=tenant_id, erp_delivery=event.id, erp_event=event.detail_type)
    log, now = adapters.erp_deliveries, adapters.clock.now()
    endpoint = adapters.erp_endpoints.get(tenant_id)
    delivery = log.get(tenant_id, event.id)
    if endpoint is None or not endpoint.enabled:
        if delivery and delivery.round == message_round and delivery.status not in SETTLED:
            skipped = AttemptOutcome(
                status=DeliveryStatus.SKIPPED, error="El envío al ERP se desactivó antes."
            )
            log.finish(delivery, skipped, at=iso(now))
        return Forwarded.NOT_CONFIGURED
    if delivery is None:
        delivery = log.open(
            ErpDelivery(
                tenant_id=tenant_id,
                delivery_id=event.id,
                event_type=event.detail_type,
                **detail.log_fields(),
                created_at=iso(now),
                updated_at=iso(now),
                event=event.model_dump(),
            )
        )
    if delivery.round != message_round:
        return Forwarded.STALE
    if delivery.status in SETTLED:
        logger.info("erp delivery already settled", extra={"status": delivery.status.value})
        return Forwarded.ALREADY_SETTLED
    if not log.claim(delivery, now=epoch(now), lease_seconds=LEASE_SECONDS, at=iso(now)):
        current = log.get(tenant_id, event.id)
        if current is None or current.round != message_round or current.status in SETTLED:
            return Forwarded.ALREADY_SETTLED
        # Another copy of this message is being attempted right now: look after its lease.
        adapters.erp_queue.retry_later(receipt_handle, LEASE_SECONDS)
        raise RetryLaterError(LEASE_SECONDS)
    outcome = _attempt(event, detail, endpoint, attempt=attempt, adapters=adapters)
    log.finish(delivery, outcome, at=iso(adapters.clock.now()))
    logger.info(
        "erp delivery attempt",
        extra={"status": outcome.status.value, "status_code": outcome.status_code},
    )
    if outcome.status is DeliveryStatus.RETRYING:
        seconds = retry_delay(attempt)
        adapters.erp_queue.retry_later(receipt_handle, seconds)
        raise RetryLaterError(seconds)
    if outcome.status is DeliveryStatus.EXHAUSTED:
        adapters.erp_queue.retry_later(receipt_handle, 0)  # its next receive moves it to the DLQ
        raise RetryLaterError(0)
    return Forwarded.DELIVERED if outcome.status is DeliveryStatus.DELIVERED else Forwarded.REFUSED


def _attempt(
    event: QueuedEvent,
    detail: _EventDetail,
    endpoint: ErpEndpoint,
    *,
    attempt: int,
    adapters: Adapters,
) -> AttemptOutcome:
    try:
        body = encode_body(build_payload(event, detail, adapters))
        result = _post(
            endpoint,
            body,
            event=FORWARDED_EVENTS[event.detail_type],
            delivery_id=event.id,
            adapters=adapters,
        )
    except ConflictError as exc:  # no signing secret: only the seller can fix it
        result = PostResult(blocked=True, error=exc.message)
    except Exception as exc:  # our side (S3, DynamoDB, Secrets Manager): try again later
        logger.warning("erp delivery not prepared", extra={"error": type(exc).__name__})
        result = PostResult(error=f"No se pudo preparar el envío ({type(exc).__name__}).")
    now = adapters.clock.now()
    verdict = result.verdict
    if verdict is Verdict.DELIVERED:
        return AttemptOutcome(
            status=DeliveryStatus.DELIVERED, status_code=result.status_code, delivered_at=iso(now)
        )
    if verdict is Verdict.PERMANENT:
        return AttemptOutcome(
            status=DeliveryStatus.REFUSED, status_code=result.status_code, error=result.error
        )
    if attempt >= MAX_ATTEMPTS:
        return AttemptOutcome(
            status=DeliveryStatus.EXHAUSTED,
            status_code=result.status_code,
            error=f"{result.error or ''} Se agotaron los {MAX_ATTEMPTS} intentos; el evento "
            "quedó en la cola de fallidos (se puede reenviar).".strip(),
        )
    next_at = now + timedelta(seconds=retry_delay(attempt))
    return AttemptOutcome(
        status=DeliveryStatus.RETRYING,
        status_code=result.status_code,
        error=result.error,
        next_retry_at=iso(next_at),
    )


# ---------------------------------------------------------------------- the POSTed body
_CFDI_NS = "{http://www.sat.gob.mx/cfd/4}"


def _cfdi_root(xml: bytes) -> ET.Element:
    """The stamped XML's Comprobante, read with the standard library (no DOCTYPE)."""
    if b"<!DOCTYPE" in xml[:4096].upper():
        raise ValueError("a CFDI has no DOCTYPE")
    return ET.fromstring(xml)  # noqa: S314 - our own stamped XML, from our bucket, no DOCTYPE


def _attributes(node: ET.Element | None, names: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """`{our name: the attribute's text}` for the attributes the node has."""
    if node is None:
        return {}
    return {name: node.attrib[attribute] for name, attribute in names if attribute in node.attrib}


def _totals(root: ET.Element) -> dict[str, str]:
    """The Comprobante's amounts as the stamped XML states them (strings, as written)."""
    totals = _attributes(
        root, (("subtotal", "SubTotal"), ("descuento", "Descuento"), ("total", "Total"))
    )
    taxes = root.find(f"{_CFDI_NS}Impuestos")
    totals.update(
        _attributes(
            taxes,
            (
                ("impuestos_trasladados", "TotalImpuestosTrasladados"),
                ("impuestos_retenidos", "TotalImpuestosRetenidos"),
            ),
        )
    )
    return totals


def xml_totals(xml: bytes) -> dict[str, str]:
    """The Comprobante's amounts as the stamped XML states them (strings, as written)."""
    return _totals(_cfdi_root(xml))


# The receptor as the ERP reads it, from the XML's Receptor node (Anexo 20 4.0 attribute names).
_XML_RECEPTOR = (
    ("rfc", "Rfc"),
    ("nombre", "Nombre"),
    ("regimen_fiscal", "RegimenFiscalReceptor"),
    ("codigo_postal", "DomicilioFiscalReceptor"),
    ("uso_cfdi", "UsoCFDI"),
)
_RECEPTOR_FIELDS = tuple(name for name, _ in _XML_RECEPTOR)


def _receptor(record: OrderRecord | None) -> dict[str, str] | None:
    fiscal = (record.fiscal_data if record else None) or {}
    receptor = {k: str(fiscal[k]) for k in _RECEPTOR_FIELDS if fiscal.get(k)}
    return receptor or None


def _xml_of(tenant_id: str, key: str, adapters: Adapters) -> bytes:
    """A stamped XML through the tenant-scoped documents port (a key outside the tenant's
    invoices prefix is refused before any S3 call)."""
    xml = adapters.documents.get(tenant_id, key)
    if xml is None:
        raise FileNotFoundError("the stamped XML the event names is not in the bucket")
    return xml


def _xml_fields(xml: bytes) -> dict[str, str]:
    return {
        "xml_sha256": hashlib.sha256(xml).hexdigest(),
        "xml_base64": base64.b64encode(xml).decode("ascii"),
    }


def build_payload(event: QueuedEvent, detail: _EventDetail, adapters: Adapters) -> dict[str, Any]:
    """The JSON the ERP receives for a bus event (docs/formats/erp-webhook.md)."""
    payload: dict[str, Any] = {
        "event": FORWARDED_EVENTS[event.detail_type],
        "delivery_id": event.id,
        "occurred_at": detail.occurred_at,
        "tenant_id": detail.tenant_id,
    }
    if isinstance(detail, _GlobalEventDetail):
        payload.update(_global_invoice_body(detail, adapters))
    elif isinstance(detail, _InvoiceEventDetail):
        payload.update(_order_invoice_body(detail, adapters))
    return payload


def _order_invoice_body(detail: _InvoiceEventDetail, adapters: Adapters) -> dict[str, Any]:
    record = adapters.orders.get(detail.ref)
    order: dict[str, Any] = {"channel": detail.channel, "order_id": detail.order_id}
    if record is not None:
        order["order_number"] = record.order.display_number
    invoice: dict[str, Any] = {"uuid": detail.uuid}
    if isinstance(detail, InvoiceStampedDetail):
        xml = _xml_of(detail.tenant_id, detail.xml_key, adapters)
        invoice.update(
            serie=detail.serie,
            folio=detail.folio,
            currency=detail.currency,
            total=detail.total,
            totals=xml_totals(xml),
            receptor=_receptor(record),
            **_xml_fields(xml),
        )
    elif isinstance(detail, InvoiceCancelledDetail):
        invoice.update(motivo=detail.motivo, status=detail.status)
    return {"order": order, "invoice": invoice}


def global_period_view(key: str) -> dict[str, str]:
    """A global invoice's period for the ERP: its key, its days, and what InformacionGlobal
    states for it (Periodicidad, Meses, Año), computed as the engine computes them when it
    builds the CFDI (`cfdi.global_invoice.GlobalPeriod.of`)."""
    period = parse_period(Periodicidad(key.rpartition(".")[2]), key)
    return {
        "key": period.key,
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "periodicidad": period.periodicidad.value,
        "meses": period.meses,
        "anio": str(period.ano),
    }


def _global_invoice_body(detail: _GlobalEventDetail, adapters: Adapters) -> dict[str, Any]:
    """A CFDI of the global invoice: its period and run, which orders it covers, the invoice
    (the receptor is PUBLICO EN GENERAL as the XML states it). One CFDI holds at most the
    tenant's concepto cap, so the list of its orders grows with its XML, at a tenth of the
    bytes (decision 0014, "Global invoices")."""
    info: dict[str, Any] = {
        "run_id": detail.run_id,
        "cfdi_index": detail.index,
        "period": global_period_view(detail.period),
    }
    invoice: dict[str, Any] = {"uuid": detail.uuid}
    if isinstance(detail, GlobalInvoiceStampedDetail):
        from postventa.services.global_invoices import read_manifest

        # The XML must be one of this run's documents, not merely one of the tenant's.
        if not detail.xml_key.startswith(global_invoice_prefix(detail.tenant_id, detail.run_id)):
            raise InvoiceKeyError("the XML is not a document of the run the event names")
        xml = _xml_of(detail.tenant_id, detail.xml_key, adapters)
        orders = read_manifest(adapters, detail.tenant_id, detail.run_id, detail.index)
        info.update(
            order_count=len(orders),
            orders=[{"channel": r.channel, "order_id": r.order_id} for r in orders],
        )
        if detail.replaces:
            info["replaces"] = detail.replaces
        root = _cfdi_root(xml)
        invoice.update(
            serie=detail.serie,
            folio=detail.folio,
            currency=root.attrib.get("Moneda"),
            total=detail.total,
            totals=_totals(root),
            receptor=_attributes(root.find(f"{_CFDI_NS}Receptor"), _XML_RECEPTOR) or None,
            **_xml_fields(xml),
        )
    elif isinstance(detail, GlobalInvoiceCancelledDetail):
        invoice.update(motivo=detail.motivo, status=detail.status)
    return {"global_invoice": info, "invoice": invoice}
