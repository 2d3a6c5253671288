"""What the services need from the outside world, as Protocols.

Adapters implement them (`storage/` DynamoDB, S3 and Secrets Manager; `messaging/` SES, SQS and
EventBridge; `workflow/` Step Functions); `postventa.bootstrap` builds the AWS ones, the tests'
in-memory fakes (tests/support/fakes.py) the others. Services receive an `Adapters` bundle and
never import boto3 or read the environment.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from postventa.domain.orders import Order, OrderRecord, OrderRef
from postventa.domain.status import OrderStatus, Transition
from postventa.domain.tenants import Tenant

if TYPE_CHECKING:  # models only named in the Protocols: no import cost for functions without them
    from postventa.cfdi.issuer import CsdCredentials
    from postventa.cfdi.pac._http import PacCredentials
    from postventa.domain.billing_links import BillingLink  # billing form, requests, reminders
    from postventa.settings import Settings


class TaskClosedError(Exception):
    """The lifecycle no longer waits for this task token (deadline passed or already answered)."""


class HistoryEntry(BaseModel):
    """One line of an order's history: what happened, when, and details without personal data."""

    event_type: str
    at: str
    event_id: str
    detail: dict[str, Any] = {}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "application/pdf"
    data: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = field(default=())


class OrderPage(BaseModel):
    orders: list[OrderRecord]
    next_cursor: str | None = None


class Orders(Protocol):
    def add(self, order: Order) -> bool:
        """Store a new order in `recibido`; False when it already exists (a redelivery)."""

    def get(self, ref: OrderRef) -> OrderRecord | None: ...

    def list_recent(self, tenant_id: str, limit: int, cursor: str | None = None) -> OrderPage:
        """The tenant's orders, most recently paid first, one page at a time."""

    def list_by_status(self, tenant_id: str, status: OrderStatus) -> Iterator[OrderRecord]: ...

    def apply(
        self, ref: OrderRef, transition: Transition, *, extra: Mapping[str, Any] | None = None
    ) -> bool:
        """Move the order along `transition` (and set `extra` fields of OrderRecord) in one
        conditional write; False when the order is not in one of the transition's sources."""

    def note(self, ref: OrderRef, **fields: Any) -> None:
        """Set bookkeeping fields of OrderRecord (e.g. billing_request_skipped)."""

    def claim_once(self, ref: OrderRef, marker: str, at: str) -> bool:
        """Set the OrderRecord field `marker` to `at` unless already set: True for the first
        caller only (e.g. one reminder ever)."""

    def record_event(self, ref: OrderRef, entry: HistoryEntry) -> bool:
        """Append a history entry; False when an entry with the same event id exists."""

    def history(self, ref: OrderRef) -> list[HistoryEntry]:
        """The order's history in the order things happened."""


class BillingLinks(Protocol):
    def create(self, ref: OrderRef, *, task_token: str, expires_at: int) -> str:
        """Store a new link for the order; returns the raw token (only its hash is stored)."""

    def find(self, token: str) -> BillingLink | None: ...

    def claim(self, link: BillingLink, now: int) -> bool:
        """Mark the link used for a submission: False when another submission holds it."""

    def release(self, link: BillingLink) -> None:
        """Undo a claim whose submission could not be recorded, so the buyer can retry."""

    def latest(self, ref: OrderRef) -> BillingLink | None: ...


class Tenants(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...

    def put(self, tenant: Tenant) -> None: ...

    def list_ids(self) -> list[str]: ...

    def put_api_key(self, tenant_id: str, api_key: str, label: str = "") -> None: ...

    def tenant_for_api_key(self, api_key: str) -> str | None: ...


class TenantSecrets(Protocol):
    """Per-tenant channel secrets (webhook signing secrets, channel tokens)."""

    def get(self, tenant_id: str) -> dict[str, Any] | None: ...

    def put(self, tenant_id: str, value: Mapping[str, Any]) -> None: ...

    def channel(self, tenant_id: str, channel: str) -> dict[str, Any] | None:
        """The secrets of one channel of the tenant, or None (unknown tenant or channel)."""


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Send one email; returns the provider's message id."""


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> None: ...


class Lifecycle(Protocol):
    def start(self, ref: OrderRef, deadline_seconds: int) -> bool:
        """Start the order's one lifecycle; False when it already exists."""

    def complete_task(self, task_token: str, output: Mapping[str, Any]) -> None:
        """Answer a waiting task; raises TaskClosedError when nothing waits for it any more."""

    def status(self, ref: OrderRef) -> str | None:
        """The order's execution status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED), or
        None when it has none."""


class OrderQueue(Protocol):
    def send(self, message: str) -> None: ...


class PayloadStore(Protocol):
    def put(self, tenant_id: str, channel: str, raw_body: bytes, received_at: datetime) -> str:
        """Keep a verified webhook body as received; returns its key."""

    def get(self, tenant_id: str, key: str) -> bytes:
        """The body under `key`, which must belong to the tenant."""


class WebhookDeliveries(Protocol):
    def remember(self, tenant_id: str, channel: str, delivery_id: str) -> bool:
        """True the first time a delivery id is seen, False for a redelivery."""

    def forget(self, tenant_id: str, channel: str, delivery_id: str) -> None: ...


class ExchangeRates(Protocol):
    def rate(self, currency: str, paid_on: date) -> Decimal:
        """MXN per unit of `currency` for a payment on `paid_on` (the legal rate, CFF art. 20);
        UnsupportedCurrencyError (permanent) or RateUnavailableError (retry later)."""


class RejectedWebhook(BaseModel):
    """A signed delivery that could not become an order, kept for the seller to see why."""

    tenant_id: str
    channel: str
    received_at: str
    code: str
    reason: str  # Spanish, for the seller
    order_id: str | None = None
    payload_key: str | None = None  # the raw body, kept in the documents bucket


class Rejections(Protocol):
    def add(self, rejected: RejectedWebhook) -> None: ...

    def list_recent(self, tenant_id: str, limit: int) -> list[RejectedWebhook]: ...


class RateLimiter(Protocol):
    def count(self, bucket: str, window_seconds: int, now: int) -> int:
        """Hits recorded in `bucket` during the current window."""

    def hit(self, bucket: str, window_seconds: int, now: int) -> int:
        """Record one hit in `bucket`'s current window; returns the window's count."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class Credentials(Protocol):
    """A tenant's CSD and PAC account (Secrets Manager; never DynamoDB, never logs)."""

    def put_csd(self, tenant_id: str, csd: CsdCredentials, *, no_certificado: str = "") -> str:
        """Create or replace the tenant's CSD; returns the secret's name for the tenant record."""

    def csd_ref(self, tenant_id: str) -> str | None:
        """The name of the tenant's stored CSD, or None when it has none."""

    def load_csd(self, secret_ref: str) -> CsdCredentials: ...

    def put_pac_credentials(self, secret: str, credentials: PacCredentials) -> None: ...

    def load_pac_credentials(self, secret: str) -> PacCredentials: ...


class Adapters(Protocol):
    """Everything a service may use, built once per process by `postventa.bootstrap`."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def orders(self) -> Orders: ...
    @property
    def links(self) -> BillingLinks: ...
    @property
    def tenants(self) -> Tenants: ...
    @property
    def secrets(self) -> TenantSecrets: ...
    @property
    def credentials(self) -> Credentials: ...
    @property
    def mailer(self) -> Mailer: ...
    @property
    def events(self) -> EventPublisher: ...
    @property
    def lifecycle(self) -> Lifecycle: ...
    @property
    def queue(self) -> OrderQueue: ...
    @property
    def payloads(self) -> PayloadStore: ...
    @property
    def deliveries(self) -> WebhookDeliveries: ...
    @property
    def rates(self) -> ExchangeRates: ...
    @property
    def rejections(self) -> Rejections: ...
    @property
    def limiter(self) -> RateLimiter: ...
