"""In-memory fakes of every port (postventa.domain.ports), for the unit tier.

They keep the same rules as the real adapters (conditional transitions, one claim per link,
redeliveries refused), so a service tested against them behaves as it will on AWS.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from postventa.domain.billing_links import CLAIM_LEASE_SECONDS, BillingLink
from postventa.domain.clock import iso
from postventa.domain.orders import Order, OrderRecord, OrderRef
from postventa.domain.ports import (
    Email,
    HistoryEntry,
    NumberedOrder,
    OrderPage,
    RejectedWebhook,
    TaskClosedError,
)
from postventa.domain.self_invoice import order_number_key
from postventa.domain.status import OrderStatus, Transition
from postventa.domain.tenants import Tenant
from postventa.errors import NotFoundError
from postventa.settings import Settings

TEST_SETTINGS = Settings(
    POSTVENTA_STAGE="test",
    TABLE_NAME="postventa-test",
    DOCUMENTS_BUCKET="documents-test",
    EVENT_BUS_NAME="bus-test",
    PUBLIC_BASE_URL="https://facturas.example.test",
    MAIL_FROM="facturas@tienda.example",
    ORDERS_QUEUE_URL="https://sqs.example/orders",
    LIFECYCLE_STATE_MACHINE_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:x",
    EXCHANGE_RATES="sandbox",
)


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 20, 16, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakeOrders:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.records: dict[OrderRef, OrderRecord] = {}
        self.events: dict[OrderRef, dict[str, HistoryEntry]] = {}
        self.fail_next_apply: Exception | None = None
        self.number_lookups = 0

    def add(self, order: Order) -> bool:
        if order.ref in self.records:
            return False
        at = iso(self.clock.now())
        self.records[order.ref] = OrderRecord(
            order=order,
            status=OrderStatus.RECEIVED,
            status_changed_at=at,
            created_at=at,
            updated_at=at,
        )
        return True

    def get(self, ref: OrderRef) -> OrderRecord | None:
        return self.records.get(ref)

    def list_recent(self, tenant_id: str, limit: int, cursor: str | None = None) -> OrderPage:
        mine = sorted(
            (r for r in self.records.values() if r.ref.tenant_id == tenant_id),
            key=lambda r: r.order.paid_at,
            reverse=True,
        )
        start = int(cursor or 0)
        page = mine[start : start + limit]
        more = start + limit < len(mine)
        return OrderPage(orders=page, next_cursor=str(start + limit) if more else None)

    def list_by_status(self, tenant_id: str, status: OrderStatus) -> Iterator[OrderRecord]:
        for record in list(self.records.values()):
            if record.ref.tenant_id == tenant_id and record.status is status:
                yield record

    def find_by_number(self, tenant_id: str, number_key: str) -> list[NumberedOrder]:
        self.number_lookups += 1
        return [
            NumberedOrder(ref=record.ref, total_paid=record.order.total_paid)
            for record in self.records.values()
            if record.ref.tenant_id == tenant_id
            and order_number_key(record.order.display_number) == number_key
        ]

    def apply(
        self, ref: OrderRef, transition: Transition, *, extra: Mapping[str, Any] | None = None
    ) -> bool:
        if self.fail_next_apply is not None:
            exc, self.fail_next_apply = self.fail_next_apply, None
            raise exc
        record = self.records.get(ref)
        if record is None or record.status not in transition.sources:
            return False
        at = iso(self.clock.now())
        self.records[ref] = record.model_copy(
            update={
                **dict(extra or {}),
                "status": transition.target,
                "status_changed_at": at,
                "updated_at": at,
            }
        )
        return True

    def note(self, ref: OrderRef, **fields: Any) -> None:
        record = self.records[ref]
        self.records[ref] = record.model_copy(update=fields)

    def claim_once(self, ref: OrderRef, marker: str, at: str) -> bool:
        record = self.records.get(ref)
        if record is None or getattr(record, marker) is not None:
            return False
        self.records[ref] = record.model_copy(update={marker: at})
        return True

    def record_event(self, ref: OrderRef, entry: HistoryEntry) -> bool:
        entries = self.events.setdefault(ref, {})
        if entry.event_id in entries:
            return False
        entries[entry.event_id] = entry
        return True

    def history(self, ref: OrderRef) -> list[HistoryEntry]:
        return sorted(self.events.get(ref, {}).values(), key=lambda e: (e.at, e.event_id))


class FakeBillingLinks:
    def __init__(self) -> None:
        self.links: dict[str, BillingLink] = {}
        self.created: list[tuple[BillingLink, str]] = []

    def create(self, ref: OrderRef, *, task_token: str, expires_at: int) -> str:
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode()).hexdigest()
        link = BillingLink(
            ref=ref,
            token_hash=digest,
            task_token=task_token,
            expires_at=expires_at,
            form_key=secrets.token_urlsafe(32),
        )
        self.links[digest] = link
        self.created.append((link, token))
        return token

    def find(self, token: str) -> BillingLink | None:
        return self.links.get(hashlib.sha256(token.encode()).hexdigest())

    def claim(self, link: BillingLink, now: int) -> bool:
        current = self.links[link.token_hash]
        if current.used_at is not None and now - current.used_at < CLAIM_LEASE_SECONDS:
            return False
        self.links[link.token_hash] = current.model_copy(update={"used_at": now})
        return True

    def release(self, link: BillingLink) -> None:
        current = self.links[link.token_hash]
        self.links[link.token_hash] = current.model_copy(update={"used_at": None})

    def latest(self, ref: OrderRef) -> BillingLink | None:
        mine = [self.links[link.token_hash] for link, _ in self.created if link.ref == ref]
        return mine[-1] if mine else None


class FakeTenants:
    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.api_keys: dict[str, str] = {}

    def get(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def put(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def list_ids(self) -> list[str]:
        return sorted(self.tenants)

    def put_api_key(self, tenant_id: str, api_key: str, label: str = "") -> None:
        self.api_keys[api_key] = tenant_id

    def tenant_for_api_key(self, api_key: str) -> str | None:
        return self.api_keys.get(api_key)


class FakeTenantSecrets:
    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}

    def get(self, tenant_id: str) -> dict[str, Any] | None:
        return self.values.get(tenant_id)

    def put(self, tenant_id: str, value: Mapping[str, Any]) -> None:
        self.values[tenant_id] = dict(value)

    def channel(self, tenant_id: str, channel: str) -> dict[str, Any] | None:
        value = (self.values.get(tenant_id) or {}).get(channel)
        return value if isinstance(value, dict) else None


class FakeCredentials:
    def __init__(self) -> None:
        self.csds: dict[str, Any] = {}
        self.pac: dict[str, Any] = {}

    def put_csd(self, tenant_id: str, csd: Any, *, no_certificado: str = "") -> str:
        name = f"postventa/tenants/{tenant_id}/csd"
        self.csds[name] = csd
        return name

    def csd_ref(self, tenant_id: str) -> str | None:
        name = f"postventa/tenants/{tenant_id}/csd"
        return name if name in self.csds else None

    def load_csd(self, secret_ref: str) -> Any:
        if secret_ref not in self.csds:
            raise NotFoundError("No hay CSD registrado para esta tienda.")
        return self.csds[secret_ref]

    def put_pac_credentials(self, secret: str, credentials: Any) -> None:
        self.pac[secret] = credentials

    def load_pac_credentials(self, secret: str) -> Any:
        return self.pac[secret]


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.fail_with: Exception | None = None

    def send(self, email: Email) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(email)
        return f"msg-{len(self.sent)}"


class FakeEvents:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> None:
        self.published.append((detail_type, dict(detail)))

    def types(self) -> list[str]:
        return [t for t, _ in self.published]


class FakeLifecycle:
    def __init__(self) -> None:
        self.started: dict[str, tuple[OrderRef, int]] = {}
        self.completed: list[tuple[str, dict[str, Any]]] = []
        self.closed_tokens: set[str] = set()
        self.statuses: dict[str, str] = {}  # execution name -> status other than RUNNING

    def start(self, ref: OrderRef, deadline_seconds: int) -> bool:
        if ref.execution_name in self.started:
            return False
        self.started[ref.execution_name] = (ref, deadline_seconds)
        return True

    def status(self, ref: OrderRef) -> str | None:
        if ref.execution_name not in self.started:
            return None
        return self.statuses.get(ref.execution_name, "RUNNING")

    def complete_task(self, task_token: str, output: Mapping[str, Any]) -> None:
        if task_token in self.closed_tokens:
            raise TaskClosedError("Task Timed Out")
        self.closed_tokens.add(task_token)
        self.completed.append((task_token, dict(output)))


class FakeQueue:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.fail_with: Exception | None = None

    def send(self, message: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.messages.append(message)


class FakePayloads:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, tenant_id: str, channel: str, raw_body: bytes, received_at: datetime) -> str:
        from postventa.storage.payloads import webhook_payload_key

        key = webhook_payload_key(tenant_id, channel, received_at)
        self.objects[key] = raw_body
        return key

    def get(self, tenant_id: str, key: str) -> bytes:
        from postventa.storage.payloads import PayloadKeyError, tenant_webhooks_prefix

        if not key.startswith(tenant_webhooks_prefix(tenant_id)):
            raise PayloadKeyError("payload key outside the tenant's prefix")
        return self.objects[key]


class FakeDeliveries:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()

    def remember(self, tenant_id: str, channel: str, delivery_id: str) -> bool:
        key = (tenant_id, channel, delivery_id)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def forget(self, tenant_id: str, channel: str, delivery_id: str) -> None:
        self.seen.discard((tenant_id, channel, delivery_id))


class FakeRates:
    """A rate per (currency, day) set by the test; USD only, like the real source."""

    def __init__(self) -> None:
        self.rates: dict[tuple[str, date], Decimal] = {}
        self.unavailable = False

    def rate(self, currency: str, paid_on: date) -> Decimal:
        from postventa.domain.exchange import (
            SUPPORTED_CURRENCIES,
            RateUnavailableError,
            UnsupportedCurrencyError,
        )

        if currency not in SUPPORTED_CURRENCIES:
            raise UnsupportedCurrencyError(currency)
        if self.unavailable or (currency, paid_on) not in self.rates:
            raise RateUnavailableError("sin tipo de cambio")
        return self.rates[(currency, paid_on)]


class FakeRejections:
    def __init__(self) -> None:
        self.items: list[RejectedWebhook] = []

    def add(self, rejected: RejectedWebhook) -> None:
        self.items.append(rejected)

    def list_recent(self, tenant_id: str, limit: int) -> list[RejectedWebhook]:
        mine = [r for r in self.items if r.tenant_id == tenant_id]
        return sorted(mine, key=lambda r: r.received_at, reverse=True)[:limit]


class FakeLimiter:
    def __init__(self) -> None:
        self.hits: dict[tuple[str, int], int] = {}

    def count(self, bucket: str, window_seconds: int, now: int) -> int:
        return self.hits.get((bucket, now - now % window_seconds), 0)

    def hit(self, bucket: str, window_seconds: int, now: int) -> int:
        key = (bucket, now - now % window_seconds)
        self.hits[key] = self.hits.get(key, 0) + 1
        return self.hits[key]


@dataclass
class FakeAdapters:
    """Every port, in memory; `settings` are the test values above."""

    settings: Settings = TEST_SETTINGS
    clock: FakeClock = field(default_factory=FakeClock)
    links: FakeBillingLinks = field(default_factory=FakeBillingLinks)
    tenants: FakeTenants = field(default_factory=FakeTenants)
    secrets: FakeTenantSecrets = field(default_factory=FakeTenantSecrets)
    credentials: FakeCredentials = field(default_factory=FakeCredentials)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    events: FakeEvents = field(default_factory=FakeEvents)
    lifecycle: FakeLifecycle = field(default_factory=FakeLifecycle)
    queue: FakeQueue = field(default_factory=FakeQueue)
    payloads: FakePayloads = field(default_factory=FakePayloads)
    deliveries: FakeDeliveries = field(default_factory=FakeDeliveries)
    rates: FakeRates = field(default_factory=FakeRates)
    rejections: FakeRejections = field(default_factory=FakeRejections)
    limiter: FakeLimiter = field(default_factory=FakeLimiter)
    orders: FakeOrders = field(init=False)

    def __post_init__(self) -> None:
        self.orders = FakeOrders(self.clock)
