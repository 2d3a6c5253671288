"""Handing invoices to the seller's ERP: the rules (docs/decisions/0014-erp-handoff.md).

Which URLs an ERP may have, how a POST is signed, what an HTTP answer means for the delivery
(delivered, refused for good, or worth retrying), the retry schedule, and the delivery log's
record. No I/O here: `services/erp.py` applies these rules through the ports.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from postventa.errors import BadRequestError

#: The bus events forwarded to the ERP, and the `event` name each gets in the POSTed body: an
#: order's invoice, and a CFDI of the periodic global invoice to PUBLICO EN GENERAL (no order).
FORWARDED_EVENTS = {
    "InvoiceStamped": "invoice.stamped",
    "InvoiceCancelled": "invoice.cancelled",
    "GlobalInvoiceStamped": "global_invoice.stamped",
    "GlobalInvoiceCancelled": "global_invoice.cancelled",
}
PING_EVENT = "ping"

TIMESTAMP_HEADER = "X-Postventa-Timestamp"
SIGNATURE_HEADER = "X-Postventa-Signature"
EVENT_HEADER = "X-Postventa-Event"
DELIVERY_HEADER = "X-Postventa-Delivery"
USER_AGENT = "Postventa-ERP/1"

#: Seconds a POST may take (connect, then each read) before it counts as a timeout.
POST_TIMEOUT_SECONDS = 5.0
MAX_URL_LENGTH = 2048

#: Attempts of one queued delivery, the first included. The ERP queue's maxReceiveCount in
#: template.yaml is the same number (a test checks), so the last failure ends in the DLQ.
MAX_ATTEMPTS = 14
RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 4 * 3600  # SQS allows a visibility timeout of 12 h at most


def retry_delay(attempt: int) -> int:
    """Seconds to wait after failed attempt number `attempt` (1-based): 1 min, doubling, at
    most 4 h. Attempt 14 comes about 24 h after the first (`retry_schedule`)."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    return int(min(RETRY_BASE_SECONDS * 2 ** (attempt - 1), RETRY_CAP_SECONDS))


def retry_schedule() -> list[int]:
    """The wait after each failed attempt that gets another (MAX_ATTEMPTS - 1 of them)."""
    return [retry_delay(n) for n in range(1, MAX_ATTEMPTS)]


# ---------------------------------------------------------------------- signing
def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 keyed with the secret's UTF-8 bytes over
    `timestamp` + "." + body (docs/formats/erp-webhook.md)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(
    secret: str, timestamp: str, body: bytes, *, event: str, delivery_id: str
) -> dict[str, str]:
    """Every header a POST to the ERP carries."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }


# ---------------------------------------------------------------------- URLs
class InvalidErpUrlError(BadRequestError):
    code = "invalid_erp_url"


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, link-local such
    as the instance metadata service, multicast or reserved)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_loopback: bool) -> str:
    """The ERP's URL as given, or InvalidErpUrlError saying why not.

    https only; plain http only to this machine (127.0.0.1, localhost) and only where the
    deployment allows loopback (the local cloud). No user:password in the URL (the signature
    authenticates us), no fragment, and an IP literal must be a public address."""
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise InvalidErpUrlError("La URL del ERP está vacía, es demasiado larga o tiene espacios.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidErpUrlError("La URL del ERP no es válida.") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidErpUrlError("La URL del ERP debe empezar con https:// y tener un dominio.")
    if parts.username is not None or parts.password is not None:
        raise InvalidErpUrlError(
            "La URL del ERP no puede llevar usuario ni contraseña: verifica la firma "
            f"{SIGNATURE_HEADER} en su lugar."
        )
    if parts.fragment:
        raise InvalidErpUrlError("La URL del ERP no puede llevar un fragmento (#...).")
    if port == 0:
        raise InvalidErpUrlError("El puerto de la URL del ERP no es válido.")
    if is_loopback_host(host):
        if not allow_loopback:
            raise InvalidErpUrlError(
                "La URL del ERP no puede apuntar a este equipo (localhost); usa la dirección "
                "pública de tu ERP."
            )
        return url
    if parts.scheme != "https":
        raise InvalidErpUrlError("La URL del ERP debe usar https://.")
    try:
        public = is_public_address(host)
    except ValueError:
        return url  # a domain name: its addresses are checked when we connect
    if not public:
        raise InvalidErpUrlError("La URL del ERP debe apuntar a una dirección pública.")
    return url


# ---------------------------------------------------------------------- answers
class Verdict(StrEnum):
    DELIVERED = "delivered"
    PERMANENT = "permanent"  # the ERP refused it: retrying the same request cannot help
    RETRY = "retry"


RETRYABLE_4XX = frozenset({408, 429})


def classify(status_code: int | None) -> Verdict:
    """What an attempt's outcome means. `None`: no HTTP answer (timeout, refused connection,
    TLS or DNS failure), worth retrying. 2xx delivered; 408 and 429 retried; any other 4xx
    refused for good; 3xx refused too (we do not follow redirects: the URL must be the final
    one); 5xx retried."""
    if status_code is None:
        return Verdict.RETRY
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code in RETRYABLE_4XX or status_code >= 500:
        return Verdict.RETRY
    return Verdict.PERMANENT


class PostResult(BaseModel):
    """One POST's outcome: the status code, or None with the reason there was no answer."""

    status_code: int | None = None
    error: str | None = None  # Spanish, for the seller (no answer, or what the ERP said)
    duration_ms: int = 0
    #: We did not send it: the URL or the address it resolves to is not allowed. Final, like a
    #: 4xx, until the seller fixes the URL and redelivers.
    blocked: bool = False

    @property
    def verdict(self) -> Verdict:
        return Verdict.PERMANENT if self.blocked else classify(self.status_code)


# ---------------------------------------------------------------------- the seller's setup
class ErpEndpoint(BaseModel):
    """A tenant's ERP settings as stored (the signing secret lives in Secrets Manager)."""

    tenant_id: str
    url: str
    enabled: bool
    created_at: str
    updated_at: str
    secret_rotated_at: str

    def public_view(self) -> dict[str, Any]:
        return self.model_dump(exclude={"tenant_id"})


# ---------------------------------------------------------------------- the delivery log
class DeliveryStatus(StrEnum):
    """A delivery's state, as the seller reads it in the log."""

    PENDING = "pendiente"  # queued, not attempted yet (or re-queued by the seller)
    RETRYING = "reintentando"  # an attempt failed; another is scheduled (next_retry_at)
    DELIVERED = "entregada"  # the ERP answered 2xx
    REFUSED = "rechazada"  # the ERP answered a 4xx (or 3xx): not retried
    EXHAUSTED = "agotada"  # MAX_ATTEMPTS failed: the event is in the DLQ
    SKIPPED = "omitida"  # the ERP was turned off before it could be delivered


#: States no queued message changes any more (only the seller's redeliver does).
SETTLED = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.REFUSED, DeliveryStatus.SKIPPED})


class ErpDelivery(BaseModel):
    """One bus event on its way to the ERP: the delivery log's record.

    `delivery_id` is the EventBridge event's id: one delivery per (tenant, event). `round`
    counts the seller's redeliveries; a queued message of an older round is stale. `event` is
    the bus event as received (it carries no personal data), kept so a redelivery rebuilds the
    same body. An order's invoice names its order (`channel`, `order_id`); a global invoice's
    CFDI has none and names its period and run instead."""

    tenant_id: str
    delivery_id: str
    event_type: str  # a key of FORWARDED_EVENTS
    uuid: str | None = None
    channel: str | None = None
    order_id: str | None = None
    period: str | None = None  # a global invoice: its period's key ("2026-11-01.04")
    run_id: str | None = None  # ... and the run that issued it ("2026-11-01.04#001")
    status: DeliveryStatus = DeliveryStatus.PENDING
    round: int = 0
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    last_attempt_at: str | None = None
    next_retry_at: str | None = None
    delivered_at: str | None = None
    lease_until: int | None = None  # epoch seconds: an attempt is under way until then
    created_at: str
    updated_at: str
    event: dict[str, Any] = Field(default_factory=dict)

    def public_view(self) -> dict[str, Any]:
        """What the seller API lists."""
        return self.model_dump(
            mode="json", exclude={"tenant_id", "lease_until", "event"}, exclude_none=True
        )


class AttemptOutcome(BaseModel):
    """What an attempt leaves in the log (`finish`)."""

    status: DeliveryStatus
    status_code: int | None = None
    error: str | None = None
    next_retry_at: str | None = None
    delivered_at: str | None = None
