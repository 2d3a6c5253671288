"""In-memory fakes of every port (postventa.domain.ports), for the unit tier.

They keep the same rules as the real adapters (conditional transitions, one claim per link,
redeliveries refused), so a service tested against them behaves as it will on AWS.
"""

from __future__ import annotations

import bisect
import hashlib
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from postventa.domain.accounts import (
    ApiKeyInfo,
    NewPasswordRequired,
    PanelSession,
    SellerUser,
    SignedIn,
    SignInOutcome,
    SignInRefused,
    api_key_id,
)
from postventa.domain.billing_links import CLAIM_LEASE_SECONDS, BillingLink
from postventa.domain.cancellations import InvoiceCancellation
from postventa.domain.channels import ChannelConnection
from postventa.domain.clock import iso
from postventa.domain.customers import AuditEntry, Customer, CustomerJob, CustomerOrder
from postventa.domain.erp import (
    SETTLED,
    AttemptOutcome,
    DeliveryStatus,
    ErpDelivery,
    ErpEndpoint,
    InvalidErpUrlError,
    PostResult,
    check_url,
)
from postventa.domain.global_invoices import GlobalCfdi, GlobalRun, RunState
from postventa.domain.invoices import FolioAccount, FolioReservation, FolioState
from postventa.domain.messages import MessageTemplate, RenderedMessage
from postventa.domain.orders import Order, OrderRecord, OrderRef
from postventa.domain.ports import (
    Email,
    ErpDeliveryPage,
    FolioHolder,
    HistoryEntry,
    NumberedOrder,
    OrderPage,
    PollState,
    RejectedWebhook,
    RunPage,
    TaskClosedError,
)
from postventa.domain.self_invoice import order_number_key
from postventa.domain.status import OrderStatus, Transition
from postventa.domain.tenants import Tenant
from postventa.errors import NotFoundError
from postventa.messaging.messengers import ChannelMessengers, EmailMessenger
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
    ERP_QUEUE_URL="https://sqs.example/erp",
)


CLOCK_START = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # the fake clock's fixed "now"


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or CLOCK_START

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

    def list_in_status(
        self, tenant_id: str, status: OrderStatus, limit: int, cursor: str | None = None
    ) -> OrderPage:
        mine = sorted(
            (r for r in self.list_by_status(tenant_id, status)),
            key=lambda r: r.status_changed_at,
            reverse=True,
        )
        start = int(cursor or 0)
        more = start + limit < len(mine)
        return OrderPage(
            orders=mine[start : start + limit], next_cursor=str(start + limit) if more else None
        )

    def search(
        self,
        tenant_id: str,
        *,
        status: OrderStatus | None = None,
        channel: str | None = None,
        paid_from: datetime | None = None,
        paid_to: datetime | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> OrderPage:
        by_change = status is not None and paid_from is None and paid_to is None
        mine = sorted(
            (
                r
                for r in self.records.values()
                if r.ref.tenant_id == tenant_id
                and (status is None or r.status is status)
                and (channel is None or r.ref.channel == channel)
                and (paid_from is None or r.order.paid_at >= paid_from)
                and (paid_to is None or r.order.paid_at < paid_to)
            ),
            key=lambda r: r.status_changed_at if by_change else r.order.paid_at.isoformat(),
            reverse=True,
        )
        start = int(cursor or 0)
        more = start + limit < len(mine)
        return OrderPage(
            orders=mine[start : start + limit], next_cursor=str(start + limit) if more else None
        )

    def list_by_status(
        self, tenant_id: str, status: OrderStatus, *, since: str | None = None
    ) -> Iterator[OrderRecord]:
        for record in list(self.records.values()):
            mine = record.ref.tenant_id == tenant_id and record.status is status
            if mine and (since is None or record.status_changed_at >= since):
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
                **_validated(record, dict(extra or {})),
                "status": transition.target,
                "status_changed_at": at,
                "updated_at": at,
            }
        )
        return True

    def apply_many(
        self,
        refs: Sequence[OrderRef],
        transition: Transition,
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> list[OrderRef]:
        return [ref for ref in refs if self.apply(ref, transition, extra=extra)]

    def note(self, ref: OrderRef, **fields: Any) -> None:
        record = self.records[ref]
        self.records[ref] = record.model_copy(update=_validated(record, fields))

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

    def record_events(self, entries: Sequence[tuple[OrderRef, HistoryEntry]]) -> None:
        for ref, entry in entries:  # an entry written again overwrites itself, as in DynamoDB
            self.events.setdefault(ref, {})[entry.event_id] = entry

    def history(self, ref: OrderRef) -> list[HistoryEntry]:
        return sorted(self.events.get(ref, {}).values(), key=lambda e: (e.at, e.event_id))


def _validated(record: OrderRecord, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as the table would give them back (models round-trip through JSON)."""
    merged = OrderRecord.model_validate(
        {**record.model_dump(mode="json"), **{k: _json(v) for k, v in fields.items()}}
    )
    return {k: getattr(merged, k) for k in fields}


def _json(value: Any) -> Any:
    from pydantic import BaseModel

    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


class FakeBillingLinks:
    def __init__(self) -> None:
        self.links: dict[str, BillingLink] = {}
        self.created: list[tuple[BillingLink, str]] = []

    def create(self, ref: OrderRef, *, task_token: str, expires_at: int, round: int = 0) -> str:
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode()).hexdigest()
        link = BillingLink(
            ref=ref,
            token_hash=digest,
            task_token=task_token,
            expires_at=expires_at,
            form_key=secrets.token_urlsafe(32),
            round=round,
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
        self.key_info: dict[str, ApiKeyInfo] = {}

    def get(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def put(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def list_ids(self) -> list[str]:
        return sorted(self.tenants)

    def put_api_key(self, tenant_id: str, api_key: str, label: str = "") -> None:
        self.api_keys[api_key] = tenant_id
        self.key_info[api_key] = ApiKeyInfo(id=api_key_id(api_key), etiqueta=label, creada="")

    def tenant_for_api_key(self, api_key: str) -> str | None:
        info = self.key_info.get(api_key)
        return None if info is None or info.revocada else self.api_keys.get(api_key)

    def list_api_keys(self, tenant_id: str) -> list[ApiKeyInfo]:
        return [i for k, i in self.key_info.items() if self.api_keys[k] == tenant_id]

    def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        for key, info in self.key_info.items():
            if info.id == key_id and self.api_keys[key] == tenant_id:
                self.key_info[key] = info.model_copy(update={"revocada": True})
                return True
        return False


class FakeTenantSecrets:
    """The combined per-tenant secret (older layout) and one secret per channel, as the
    Secrets Manager adapter keeps them; `reads` counts channel reads (cache behaviour aside)."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}
        self.channels: dict[tuple[str, str], dict[str, Any]] = {}
        self.writes: list[tuple[str, str]] = []

    def get(self, tenant_id: str) -> dict[str, Any] | None:
        return self.values.get(tenant_id)

    def put(self, tenant_id: str, value: Mapping[str, Any]) -> None:
        self.values[tenant_id] = dict(value)

    def channel(
        self, tenant_id: str, channel: str, *, fresh: bool = False
    ) -> dict[str, Any] | None:
        own = self.channels.get((tenant_id, channel))
        if own is not None:
            return dict(own)
        value = (self.values.get(tenant_id) or {}).get(channel)
        return value if isinstance(value, dict) else None

    def put_channel(self, tenant_id: str, channel: str, value: Mapping[str, Any]) -> None:
        self.channels[(tenant_id, channel)] = dict(value)
        self.writes.append((tenant_id, channel))

    def delete_channel(self, tenant_id: str, channel: str) -> None:
        self.channels.pop((tenant_id, channel), None)


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


class FakeMarketplaceMessenger:
    """A marketplace's messenger (the channels issue brings the real ones): reaches every buyer
    through the order, records what it sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[Order, RenderedMessage]] = []

    def delivers(self, channel: str) -> bool:
        return True

    def unreachable_reason(self, order: Order) -> str | None:
        return None

    def send_billing_message(self, order: Order, message: RenderedMessage) -> str:
        self.sent.append((order, message))
        return f"mensaje-{len(self.sent)}"


class FakeMessageTemplates:
    """Billing-request templates keyed (tenant, channel) as before; other kinds (the shipping
    notice) keyed (tenant, channel, kind)."""

    def __init__(self) -> None:
        self.templates: dict[tuple[str, str], MessageTemplate] = {}
        self.other: dict[tuple[str, str, str], MessageTemplate] = {}

    def get(
        self, tenant_id: str, channel: str, kind: str = "billing_request"
    ) -> MessageTemplate | None:
        if kind != "billing_request":
            return self.other.get((tenant_id, channel, kind))
        return self.templates.get((tenant_id, channel))

    def list(self, tenant_id: str, kind: str = "billing_request") -> list[MessageTemplate]:
        if kind != "billing_request":
            return [
                t
                for (tenant, _, k), t in sorted(self.other.items())
                if tenant == tenant_id and k == kind
            ]
        return [t for (tenant, _), t in sorted(self.templates.items()) if tenant == tenant_id]

    def put(self, template: MessageTemplate, kind: str = "billing_request") -> None:
        if kind != "billing_request":
            self.other[(template.tenant_id, template.channel.value, kind)] = template
            return
        self.templates[(template.tenant_id, template.channel.value)] = template

    def delete(self, tenant_id: str, channel: str, kind: str = "billing_request") -> bool:
        if kind != "billing_request":
            return self.other.pop((tenant_id, channel, kind), None) is not None
        return self.templates.pop((tenant_id, channel), None) is not None


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
        self.with_data: dict[str, bool] = {}

    def start(
        self, ref: OrderRef, deadline_seconds: int, *, attempt: int = 0, with_data: bool = False
    ) -> bool:
        name = ref.execution_name_for(attempt)
        if name in self.started:
            return False
        self.started[name] = (ref, deadline_seconds)
        self.with_data[name] = with_data
        return True

    def status(self, ref: OrderRef, attempt: int = 0) -> str | None:
        name = ref.execution_name_for(attempt)
        if name not in self.started:
            return None
        return self.statuses.get(name, "RUNNING")

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


class FakeFolios:
    """Folio accounts and reservations with the adapter's rules (one live reservation per order,
    spent once, released once)."""

    def __init__(self) -> None:
        self.accounts: dict[str, FolioAccount] = {}
        self.reservations: dict[FolioHolder, FolioReservation] = {}
        self.noticed_empty: set[str] = set()

    def account(self, tenant_id: str) -> FolioAccount | None:
        return self.accounts.get(tenant_id)

    def reservation(self, ref: FolioHolder) -> FolioReservation | None:
        return self.reservations.get(ref)

    def reserve(self, ref: FolioHolder) -> FolioReservation | None:
        current = self.reservations.get(ref)
        if current is not None and current.state is not FolioState.RELEASED:
            return current
        account = self.accounts.get(ref.tenant_id)
        if account is None or account.available <= 0:
            return None
        self.accounts[ref.tenant_id] = FolioAccount(
            available=account.available - 1, next_number=account.next_number + 1
        )
        reservation = FolioReservation(number=account.next_number, state=FolioState.RESERVED)
        self.reservations[ref] = reservation
        return reservation

    def spend(self, ref: FolioHolder) -> None:
        current = self.reservations.get(ref)
        if current is None or current.state is FolioState.RELEASED:
            raise ValueError("no folio reserved for this order")
        self.reservations[ref] = current.model_copy(update={"state": FolioState.SPENT})

    def release(self, ref: FolioHolder) -> None:
        current = self.reservations.get(ref)
        if current is None or current.state is not FolioState.RESERVED:
            return
        self.reservations[ref] = current.model_copy(update={"state": FolioState.RELEASED})
        account = self.accounts[ref.tenant_id]
        self.accounts[ref.tenant_id] = account.model_copy(
            update={"available": account.available + 1}
        )

    def add(self, tenant_id: str, count: int) -> FolioAccount:
        account = self.accounts.get(tenant_id) or FolioAccount(available=0, next_number=1)
        self.accounts[tenant_id] = account.model_copy(
            update={"available": account.available + count}
        )
        self.noticed_empty.discard(tenant_id)
        return self.accounts[tenant_id]

    def notice_empty_once(self, tenant_id: str) -> bool:
        if tenant_id in self.noticed_empty:
            return False
        self.noticed_empty.add(tenant_id)
        return True

    def spent(self, tenant_id: str) -> int:
        return sum(
            1
            for ref, r in self.reservations.items()
            if ref.tenant_id == tenant_id and r.state is FolioState.SPENT
        )


class FakeDocuments:
    """Documents by key, refused outside the tenant's prefix as the S3 adapter refuses them."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}

    def put(self, tenant_id: str, key: str, data: bytes, content_type: str) -> None:
        from postventa.storage.documents import check_invoice_key

        self.objects[check_invoice_key(tenant_id, key)] = data
        self.content_types[key] = content_type

    def get(self, tenant_id: str, key: str) -> bytes | None:
        from postventa.storage.documents import check_invoice_key

        return self.objects.get(check_invoice_key(tenant_id, key))

    def download_url(self, tenant_id: str, key: str, filename: str, seconds: int) -> str:
        from postventa.storage.documents import check_invoice_key

        check_invoice_key(tenant_id, key)
        return f"https://documentos.example.test/{key}?descarga={filename}&vence={seconds}"


class FakePacs:
    """The real sandbox PAC (offline), with its memory kept across calls as a PAC keeps it, and
    the tenant's simulated faults; a test may set `outage` or swap `pac` for another fake.
    Its clock is the adapters' clock (FakeAdapters sets it): the PAC judges Fecha at the same
    "now" the product seals at, as the real PAC and the product share the wall clock."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._store: Any = None
        self.pac: Any = None
        self.calls = 0
        self.clock = clock

    def for_tenant(self, tenant: Tenant) -> Any:
        from postventa.cfdi.pac.sandbox import FaultInjection, InMemorySandboxStore, SandboxPac

        self.calls += 1
        if self.pac is not None:
            return self.pac
        if self._store is None:
            self._store = InMemorySandboxStore()
        faults = dict(tenant.sandbox_faults or {})
        if faults.get("reject_rfcs") is not None:
            faults["reject_rfcs"] = frozenset(faults["reject_rfcs"])
        if self.clock is None:
            return SandboxPac(store=self._store, faults=FaultInjection(**faults))
        return SandboxPac(store=self._store, faults=FaultInjection(**faults), clock=self.clock)


class FakeErpEndpoints:
    def __init__(self) -> None:
        self.endpoints: dict[str, ErpEndpoint] = {}
        self.secrets: dict[str, str] = {}

    def get(self, tenant_id: str) -> ErpEndpoint | None:
        return self.endpoints.get(tenant_id)

    def put(self, endpoint: ErpEndpoint) -> None:
        self.endpoints[endpoint.tenant_id] = endpoint

    def signing_secret(self, tenant_id: str) -> str | None:
        return self.secrets.get(tenant_id)

    def put_signing_secret(self, tenant_id: str, secret: str) -> None:
        self.secrets[tenant_id] = secret


class FakeErpDeliveries:
    """The log's conditional writes, as DynamoErpDeliveries makes them."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], ErpDelivery] = {}

    def open(self, delivery: ErpDelivery) -> ErpDelivery:
        return self.records.setdefault((delivery.tenant_id, delivery.delivery_id), delivery)

    def get(self, tenant_id: str, delivery_id: str) -> ErpDelivery | None:
        return self.records.get((tenant_id, delivery_id))

    def claim(self, delivery: ErpDelivery, *, now: int, lease_seconds: int, at: str) -> bool:
        key = (delivery.tenant_id, delivery.delivery_id)
        current = self.records.get(key)
        if (
            current is None
            or current.round != delivery.round
            or current.status in SETTLED
            or (current.lease_until is not None and current.lease_until >= now)
        ):
            return False
        self.records[key] = current.model_copy(
            update={
                "attempts": current.attempts + 1,
                "lease_until": now + lease_seconds,
                "last_attempt_at": at,
                "updated_at": at,
            }
        )
        return True

    def finish(self, delivery: ErpDelivery, outcome: AttemptOutcome, *, at: str) -> bool:
        key = (delivery.tenant_id, delivery.delivery_id)
        current = self.records.get(key)
        if current is None or current.round != delivery.round:
            return False
        self.records[key] = current.model_copy(
            update={
                "status": outcome.status,
                "last_status_code": outcome.status_code,
                "last_error": outcome.error,
                "next_retry_at": outcome.next_retry_at,
                "delivered_at": outcome.delivered_at,
                "lease_until": None,
                "updated_at": at,
            }
        )
        return True

    def reopen(self, tenant_id: str, delivery_id: str, *, at: str) -> ErpDelivery | None:
        current = self.records.get((tenant_id, delivery_id))
        if current is None:
            return None
        reopened = current.model_copy(
            update={
                "round": current.round + 1,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "updated_at": at,
                **dict.fromkeys(
                    (
                        "last_status_code",
                        "last_error",
                        "next_retry_at",
                        "delivered_at",
                        "lease_until",
                        "last_attempt_at",
                    )
                ),
            }
        )
        self.records[(tenant_id, delivery_id)] = reopened
        return reopened

    def list_recent(self, tenant_id: str, limit: int, cursor: str | None = None) -> ErpDeliveryPage:
        mine = sorted(
            (d for d in self.records.values() if d.tenant_id == tenant_id),
            key=lambda d: (d.created_at, d.delivery_id),
            reverse=True,
        )
        start = int(cursor or 0)
        more = start + limit < len(mine)
        return ErpDeliveryPage(
            deliveries=mine[start : start + limit], next_cursor=str(start + limit) if more else None
        )


@dataclass
class PostedToErp:
    url: str
    body: bytes
    headers: dict[str, str]


class FakeErpPoster:
    """Answers from `answers` in order (then 200); refuses URLs as the real poster does."""

    def __init__(self) -> None:
        self.answers: list[PostResult] = []
        self.posted: list[PostedToErp] = []

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, allow_loopback: bool
    ) -> PostResult:
        try:
            check_url(url, allow_loopback=allow_loopback)
        except InvalidErpUrlError as exc:
            return PostResult(blocked=True, error=exc.message)
        self.posted.append(PostedToErp(url, body, dict(headers)))
        return self.answers.pop(0) if self.answers else PostResult(status_code=200)


class FakeErpQueue:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.hidden: list[tuple[str, int]] = []  # (receipt handle, seconds)

    def send(self, body: str) -> None:
        self.sent.append(body)

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        self.hidden.append((receipt_handle, seconds))


@dataclass
class FakeLogin:
    user_id: str
    password: str
    temporary: bool
    enabled: bool = True


class FakeIdentity:
    """The user pool: passwords checked, temporary ones must be replaced, tokens revocable."""

    MIN_PASSWORD = 12

    def __init__(self) -> None:
        self.logins: dict[str, FakeLogin] = {}
        self.tokens: dict[str, str] = {}  # access token -> user id
        self.challenges: dict[str, str] = {}  # challenge -> email

    def _policy_ok(self, password: str) -> bool:
        return (
            len(password) >= self.MIN_PASSWORD
            and any(c.isupper() for c in password)
            and any(c.islower() for c in password)
            and any(c.isdigit() for c in password)
        )

    def sign_in(self, email: str, password: str) -> SignInOutcome:
        login = self.logins.get(email)
        if login is None or not login.enabled or login.password != password:
            return SignInRefused("credenciales")
        if login.temporary:
            challenge = secrets.token_urlsafe(16)
            self.challenges[challenge] = email
            return NewPasswordRequired(challenge)
        return SignedIn(login.user_id)

    def choose_password(self, email: str, challenge: str, new_password: str) -> SignInOutcome:
        if self.challenges.get(challenge) != email:
            return SignInRefused("reto_vencido")
        if not self._policy_ok(new_password):
            from postventa.storage.identity import LOGIN_RULES_ES

            return SignInRefused("contrasena_invalida", LOGIN_RULES_ES)
        del self.challenges[challenge]
        login = self.logins[email]
        login.password, login.temporary = new_password, False
        return SignedIn(login.user_id)

    def access_token(self, email: str) -> str:
        """What a person's client holds after signing in (tests present it to the API)."""
        token = "eyJ" + secrets.token_urlsafe(12) + "." + secrets.token_urlsafe(24) + ".sig"
        self.tokens[token] = self.logins[email].user_id
        return token

    def user_for_access_token(self, token: str) -> str | None:
        return self.tokens.get(token)

    def create_login(self, email: str, temporary_password: str) -> str:
        from postventa.errors import ConflictError

        if email in self.logins:
            raise ConflictError("Ese correo ya tiene acceso a Postventa.")
        self.logins[email] = FakeLogin(f"sub-{len(self.logins) + 1}", temporary_password, True)
        return self.logins[email].user_id

    def ensure_login(self, email: str, password: str) -> str:
        if email not in self.logins:
            self.create_login(email, password)
        login = self.logins[email]
        login.password, login.temporary = password, False
        return login.user_id

    def set_enabled(self, email: str, enabled: bool) -> None:
        login = self.logins[email]
        login.enabled = enabled
        if not enabled:
            self.tokens = {t: u for t, u in self.tokens.items() if u != login.user_id}


class FakeSellerUsers:
    def __init__(self) -> None:
        self.users: dict[str, SellerUser] = {}

    def get(self, user_id: str) -> SellerUser | None:
        return self.users.get(user_id)

    def put(self, user: SellerUser) -> None:
        self.users[user.user_id] = user

    def list(self, tenant_id: str) -> list[SellerUser]:
        return sorted(
            (u for u in self.users.values() if u.tenant_id == tenant_id), key=lambda u: u.email
        )


class FakeSessions:
    def __init__(self) -> None:
        self.sessions: dict[tuple[str, str], PanelSession] = {}

    def create(self, session: PanelSession) -> None:
        self.sessions[(session.tenant_id, session.token_hash)] = session

    def get(self, tenant_id: str, token_hash: str) -> PanelSession | None:
        return self.sessions.get((tenant_id, token_hash))

    def touch(self, session: PanelSession, idle_until: int) -> bool:
        key = (session.tenant_id, session.token_hash)
        if key not in self.sessions:
            return False
        self.sessions[key] = self.sessions[key].model_copy(update={"idle_until": idle_until})
        return True

    def delete(self, tenant_id: str, token_hash: str) -> None:
        self.sessions.pop((tenant_id, token_hash), None)


class FakeCustomers:
    """Customers with the table's rules: one transaction per save (version, audit entry once,
    RFC and primary email held by one customer), index entries keyed as storage keys them."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Customer] = {}
        self.audits: dict[tuple[str, str], dict[str, AuditEntry]] = {}
        self.links: dict[tuple[str, str], dict[str, CustomerOrder]] = {}
        self.unique: dict[tuple[str, str, str], str] = {}
        # partition -> sorted [(sort key, customer id)]: queried by bisect, as a B-tree would
        self.index: dict[str, list[tuple[str, str]]] = {}
        self.jobs: dict[tuple[str, str], CustomerJob] = {}
        self.counters: dict[str, int] = {}
        self.reads = 0  # index entries and records read: searches must stay bounded

    def next_id(self, tenant_id: str) -> str:
        self.counters[tenant_id] = self.counters.get(tenant_id, 0) + 1
        return str(self.counters[tenant_id])

    def get(self, tenant_id: str, customer_id: str) -> Customer | None:
        self.reads += 1
        return self.records.get((tenant_id, customer_id))

    def holder(self, tenant_id: str, kind: str, value: str) -> str | None:
        return self.unique.get((tenant_id, kind, value))

    def get_many(self, tenant_id: str, customer_ids: list[str]) -> list[Customer]:
        self.reads += len(customer_ids)
        return [
            self.records[(tenant_id, c)] for c in customer_ids if (tenant_id, c) in self.records
        ]

    def index_page(
        self,
        tenant_id: str,
        active: bool,
        field: str,
        value: str,
        *,
        exact: bool = False,
        limit: int,
        start_after: str | None = None,
    ) -> tuple[list[tuple[str, str]], str | None]:
        from postventa.storage.keys import customer_index_pk

        partition = self.index.get(customer_index_pk(tenant_id, active, field), [])
        wanted = value.replace("#", " ") + ("#" if exact else "")
        start = max(wanted, start_after + "\0") if start_after else wanted
        position = bisect.bisect_left(partition, (start, ""))
        rows = []
        for sk, cid in partition[position : position + limit + 1]:
            if not sk.startswith(wanted):
                break
            rows.append((sk, cid))
        self.reads += min(len(rows), limit)
        page = rows[:limit]
        return page, (page[-1][0] if len(rows) > limit else None)

    def save(self, customer: Customer, previous: Customer | None, audit: AuditEntry) -> str:
        from postventa.storage.customers import index_entries

        key = (customer.tenant_id, customer.customer_id)
        stored = self.records.get(key)
        if previous is None and stored is not None:
            return "conflicto_version"
        if previous is not None and (stored is None or stored.version != previous.version):
            return "conflicto_version"
        entries = self.audits.setdefault(key, {})
        audit_key = f"{audit.at}#{audit.change_id}"
        if audit_key in entries:
            return "ya_aplicado"
        claims = []
        if customer.rfc not in ("XAXX010101000", "XEXX010101000") and previous is None:
            claims.append(("RFC", customer.rfc))
        new_email = customer.email.lower()
        old_email = previous.email.lower() if previous else ""
        if new_email and new_email != old_email:
            claims.append(("EMAIL", new_email))
        for kind, value in claims:
            holder = self.unique.get((customer.tenant_id, kind, value))
            if holder not in (None, customer.customer_id):
                return "rfc_ocupado" if kind == "RFC" else "email_ocupado"
        if old_email and old_email != new_email:
            self.unique.pop((customer.tenant_id, "EMAIL", old_email), None)
        for kind, value in claims:
            self.unique[(customer.tenant_id, kind, value)] = customer.customer_id
        for pk, sk in index_entries(previous) if previous else set():
            partition = self.index.get(pk, [])
            position = bisect.bisect_left(partition, (sk, ""))
            if position < len(partition) and partition[position][0] == sk:
                del partition[position]
        for pk, sk in index_entries(customer):
            bisect.insort(self.index.setdefault(pk, []), (sk, customer.customer_id))
        self.records[key] = customer
        entries[audit_key] = audit
        return "guardado"

    def audit(self, tenant_id: str, customer_id: str, limit: int = 100) -> list[AuditEntry]:
        entries = self.audits.get((tenant_id, customer_id), {})
        return [entries[k] for k in sorted(entries, reverse=True)][:limit]

    def has_audit_entry(self, tenant_id: str, customer_id: str, at: str, change_id: str) -> bool:
        return f"{at}#{change_id}" in self.audits.get((tenant_id, customer_id), {})

    def orders(self, tenant_id: str, customer_id: str, limit: int = 100) -> list[CustomerOrder]:
        links = self.links.get((tenant_id, customer_id), {})
        return [links[k] for k in sorted(links, reverse=True)][:limit]

    def link_order(self, tenant_id: str, customer_id: str, order: CustomerOrder) -> bool:
        links = self.links.setdefault((tenant_id, customer_id), {})
        key = f"{order.paid_at}#{order.channel}#{order.order_id}"
        if key in links:
            return False
        links[key] = order
        return True

    def record_invoice(self, tenant_id: str, customer_id: str, order: CustomerOrder) -> bool:
        links = self.links.setdefault((tenant_id, customer_id), {})
        key = f"{order.paid_at}#{order.channel}#{order.order_id}"
        record = self.records.get((tenant_id, customer_id))
        if record is None or (key in links and links[key].invoice_uuid):
            return False
        links[key] = order
        self.records[(tenant_id, customer_id)] = record.model_copy(
            update={"invoice_count": record.invoice_count + 1}
        )
        return True

    def put_job(self, job: CustomerJob) -> None:
        self.jobs[(job.tenant_id, job.job_id)] = job

    def get_job(self, tenant_id: str, job_id: str) -> CustomerJob | None:
        return self.jobs.get((tenant_id, job_id))


class FakeExportWriter:
    def __init__(self, files: FakeExportFiles, key: str) -> None:
        self.files, self.key = files, key
        self.parts: list[bytes] = []
        self.largest_write = 0

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.largest_write = max(self.largest_write, len(data))

    def close(self) -> None:
        self.files.objects[self.key] = b"".join(self.parts)

    def abort(self) -> None:
        self.parts.clear()


class FakeExportFiles:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.writers: list[FakeExportWriter] = []

    def open(self, tenant_id: str, key: str, content_type: str) -> FakeExportWriter:
        from postventa.storage.exports import check_export_key

        writer = FakeExportWriter(self, check_export_key(tenant_id, key))
        self.writers.append(writer)
        return writer

    def download_url(self, tenant_id: str, key: str, filename: str, seconds: int) -> str:
        from postventa.storage.exports import check_export_key

        check_export_key(tenant_id, key)
        return f"https://documents.example.test/{key}?filename={filename}&expires={seconds}"


class FakeThrottle:
    """Token buckets with the adapter's rule (storage/throttle.py: refill, take one)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.state: dict[str, tuple[float, float]] = {}
        self.acquired: list[str] = []

    def acquire(self, bucket: str, rate_per_second: float, burst: int) -> float:
        from postventa.storage.throttle import refill

        now_ms = int(self.clock.now().timestamp() * 1000)
        tokens, at = self.state.get(bucket, (float(burst), now_ms))
        tokens = refill(tokens, int(at), now_ms, rate_per_second, burst)
        if tokens < 1:
            self.state[bucket] = (tokens, now_ms)
            return (1 - tokens) / rate_per_second
        self.state[bucket] = (tokens - 1, now_ms)
        self.acquired.append(bucket)
        return 0.0


class FakeConnections:
    """Connections, account ownership, refresh lock, poll lease and parked deliveries in memory,
    with the adapter's conditions (one owner per account, one lock holder, one poller)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.records: dict[tuple[str, str], ChannelConnection] = {}
        self.accounts: dict[tuple[str, str], str] = {}
        self.locks: dict[tuple[str, str], tuple[str, int]] = {}
        self.polls: dict[tuple[str, str], dict[str, Any]] = {}
        self.states: set[str] = set()
        self.notices: set[tuple[str, str, str]] = set()
        self.parked_items: dict[tuple[str, str], dict[str, str]] = {}

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def get(self, tenant_id: str, channel: str) -> ChannelConnection | None:
        return self.records.get((tenant_id, channel))

    def put(self, connection: ChannelConnection) -> None:
        self.records[(connection.tenant_id, connection.channel.value)] = connection

    def of_tenant(self, tenant_id: str) -> list[ChannelConnection]:
        return [c for (t, _), c in sorted(self.records.items()) if t == tenant_id]

    def connected(self, channel: str) -> list[ChannelConnection]:
        return [c for (_, ch), c in sorted(self.records.items()) if ch == channel and c.usable]

    def tenant_for_account(self, channel: str, account_id: str) -> str | None:
        return self.accounts.get((channel, account_id))

    def claim_account(self, channel: str, account_id: str, tenant_id: str) -> bool:
        owner = self.accounts.setdefault((channel, account_id), tenant_id)
        return owner == tenant_id

    def release_account(self, channel: str, account_id: str, tenant_id: str) -> None:
        if self.accounts.get((channel, account_id)) == tenant_id:
            del self.accounts[(channel, account_id)]

    def lock_refresh(self, tenant_id: str, channel: str, holder: str, seconds: int) -> bool:
        held = self.locks.get((tenant_id, channel))
        if held is not None and held[1] >= self._now():
            return False
        self.locks[(tenant_id, channel)] = (holder, self._now() + seconds)
        return True

    def unlock_refresh(self, tenant_id: str, channel: str, holder: str) -> None:
        if (self.locks.get((tenant_id, channel)) or ("",))[0] == holder:
            del self.locks[(tenant_id, channel)]

    def poll_state(self, tenant_id: str, channel: str) -> PollState:
        item = self.polls.get((tenant_id, channel), {})
        return PollState(
            cursor=item.get("cursor"),
            last_started_at=item.get("last_started_at", 0),
            lease_until=item.get("lease_until", 0),
        )

    def start_poll(
        self, tenant_id: str, channel: str, holder: str, lease_seconds: int, min_interval: int
    ) -> bool:
        now = self._now()
        item = self.polls.setdefault((tenant_id, channel), {})
        if item and not (
            item.get("lease_until", 0) < now
            and item.get("last_started_at", 0) <= now - min_interval
        ):
            return False
        item.update(holder=holder, lease_until=now + lease_seconds, last_started_at=now)
        return True

    def finish_poll(self, tenant_id: str, channel: str, holder: str, cursor: str | None) -> bool:
        item = self.polls.get((tenant_id, channel), {})
        if item.get("holder") != holder:
            return False
        item["lease_until"] = 0
        if cursor is not None:
            item["cursor"] = cursor
        return True

    def use_state(self, nonce: str, expires_at: int) -> bool:
        if nonce in self.states:
            return False
        self.states.add(nonce)
        return True

    def notice_once(self, tenant_id: str, channel: str, notice: str) -> bool:
        key = (tenant_id, channel, notice)
        if key in self.notices:
            return False
        self.notices.add(key)
        return True

    def forget_notice(self, tenant_id: str, channel: str, notice: str) -> None:
        self.notices.discard((tenant_id, channel, notice))

    def park(self, tenant_id: str, channel: str, key: str, body: str) -> None:
        self.parked_items.setdefault((tenant_id, channel), {})[key] = body

    def parked(self, tenant_id: str, channel: str) -> list[tuple[str, str]]:
        return sorted(self.parked_items.get((tenant_id, channel), {}).items())

    def unpark(self, tenant_id: str, channel: str, handle: str) -> None:
        self.parked_items.get((tenant_id, channel), {}).pop(handle, None)


class FakeChannelApps:
    """Our apps' credentials on the fake marketplaces (tests/support/marketplaces.py) and a
    fixed state key."""

    def __init__(self) -> None:
        self.apps: dict[str, dict[str, str]] = {
            "mercadolibre": {"client_id": "5503910054141466", "client_secret": "ml-secreto"},
            "amazon": {
                "client_id": "amzn1.application-oa2-client.postventa",
                "client_secret": "lwa-secreto",
            },
        }
        self.key = b"k" * 32

    def app(self, name: str) -> Mapping[str, Any]:
        return dict(self.apps[name])

    def state_key(self) -> bytes:
        return self.key


class FakeGlobalInvoices:
    """Runs and CFDIs with the adapter's conditions (one run per id, leases, replaced once)."""

    def __init__(self) -> None:
        self.runs: dict[tuple[str, str], GlobalRun] = {}
        self.cfdi_items: dict[tuple[str, str, int], GlobalCfdi] = {}

    def create_run(self, run: GlobalRun) -> bool:
        key = (run.tenant_id, run.run_id)
        if key in self.runs:
            return False
        self.runs[key] = run
        return True

    def get_run(self, tenant_id: str, run_id: str) -> GlobalRun | None:
        return self.runs.get((tenant_id, run_id))

    def runs_of_period(self, tenant_id: str, period_key: str) -> list[GlobalRun]:
        mine = [r for (t, rid), r in self.runs.items() if t == tenant_id]
        return sorted(
            (r for r in mine if r.run_id.startswith(f"{period_key}#")), key=lambda r: r.run_id
        )

    def open_runs(self, tenant_id: str) -> list[GlobalRun]:
        mine = sorted((r for (t, _), r in self.runs.items() if t == tenant_id), key=_run_id)
        return [r for r in mine if r.has_steps_left]

    def list_runs(self, tenant_id: str, limit: int, cursor: str | None = None) -> RunPage:
        mine = sorted(
            (r for (t, _), r in self.runs.items() if t == tenant_id), key=_run_id, reverse=True
        )
        start = int(cursor or 0)
        more = start + limit < len(mine)
        return RunPage(
            runs=mine[start : start + limit], next_cursor=str(start + limit) if more else None
        )

    def save_run(self, run: GlobalRun, *, expect: RunState | None = None) -> bool:
        key = (run.tenant_id, run.run_id)
        current = self.runs.get(key)
        if expect is not None and (current is None or current.state is not expect):
            return False
        lease = current.lease_until if current is not None else None
        self.runs[key] = run.model_copy(update={"lease_until": lease})
        return True

    def lease(self, tenant_id: str, run_id: str, *, now: int, seconds: int) -> GlobalRun | None:
        current = self.runs.get((tenant_id, run_id))
        if current is None or (current.lease_until is not None and current.lease_until >= now):
            return None
        leased = current.model_copy(update={"lease_until": now + seconds})
        self.runs[(tenant_id, run_id)] = leased
        return leased

    def unlease(self, tenant_id: str, run_id: str) -> None:
        current = self.runs.get((tenant_id, run_id))
        if current is not None:
            self.runs[(tenant_id, run_id)] = current.model_copy(update={"lease_until": None})

    def put_cfdi(self, cfdi: GlobalCfdi) -> None:
        self.cfdi_items[(cfdi.tenant_id, cfdi.run_id, cfdi.index)] = cfdi

    def cfdis(self, tenant_id: str, run_id: str) -> list[GlobalCfdi]:
        return sorted(
            (c for (t, r, _), c in self.cfdi_items.items() if t == tenant_id and r == run_id),
            key=lambda c: c.index,
        )

    def get_cfdi(self, tenant_id: str, run_id: str, index: int) -> GlobalCfdi | None:
        return self.cfdi_items.get((tenant_id, run_id, index))

    def mark_replaced(self, cfdi: GlobalCfdi, by_run: str) -> bool:
        key = (cfdi.tenant_id, cfdi.run_id, cfdi.index)
        current = self.cfdi_items.get(key)
        if current is None or current.replaced_by is not None:
            return False
        self.cfdi_items[key] = current.model_copy(update={"replaced_by": by_run})
        return True


def _run_id(run: GlobalRun) -> str:
    return run.run_id


class FakeCancellations:
    """One cancellation per UUID; every save checks the version it was read with."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], InvoiceCancellation] = {}

    def open(self, cancellation: InvoiceCancellation) -> InvoiceCancellation:
        key = (cancellation.tenant_id, cancellation.uuid.upper())
        return self.items.setdefault(key, cancellation.model_copy())

    def get(self, tenant_id: str, uuid: str) -> InvoiceCancellation | None:
        found = self.items.get((tenant_id, uuid.upper()))
        return found.model_copy() if found else None

    def unfinished(self, tenant_id: str) -> list[InvoiceCancellation]:
        return sorted(
            (
                c.model_copy()
                for (t, _), c in self.items.items()
                if t == tenant_id and not c.state.is_final
            ),
            key=lambda c: c.requested_at,
        )

    def save(self, cancellation: InvoiceCancellation) -> bool:
        key = (cancellation.tenant_id, cancellation.uuid.upper())
        current = self.items.get(key)
        if current is None or current.version != cancellation.version:
            return False
        cancellation.version += 1
        self.items[key] = cancellation.model_copy()
        return True


class FakeJobQueues:
    def __init__(self) -> None:
        self.sent: dict[str, list[str]] = {}

    def send(self, queue: str, bodies: Sequence[str]) -> None:
        self.sent.setdefault(queue, []).extend(bodies)

    def take(self, queue: str) -> list[str]:
        """What was queued on `queue`, emptying it (a worker receiving the messages)."""
        return self.sent.pop(queue, [])


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
    folios: FakeFolios = field(default_factory=FakeFolios)
    documents: FakeDocuments = field(default_factory=FakeDocuments)
    pacs: FakePacs = field(default_factory=FakePacs)
    message_templates: FakeMessageTemplates = field(default_factory=FakeMessageTemplates)
    erp_endpoints: FakeErpEndpoints = field(default_factory=FakeErpEndpoints)
    erp_deliveries: FakeErpDeliveries = field(default_factory=FakeErpDeliveries)
    erp_poster: FakeErpPoster = field(default_factory=FakeErpPoster)
    erp_queue: FakeErpQueue = field(default_factory=FakeErpQueue)
    identity: FakeIdentity = field(default_factory=FakeIdentity)
    users: FakeSellerUsers = field(default_factory=FakeSellerUsers)
    sessions: FakeSessions = field(default_factory=FakeSessions)
    customers: FakeCustomers = field(default_factory=FakeCustomers)
    exports: FakeExportFiles = field(default_factory=FakeExportFiles)
    channel_apps: FakeChannelApps = field(default_factory=FakeChannelApps)
    poll_queue: FakeQueue = field(default_factory=FakeQueue)
    global_invoices: FakeGlobalInvoices = field(default_factory=FakeGlobalInvoices)
    cancellations: FakeCancellations = field(default_factory=FakeCancellations)
    jobs: FakeJobQueues = field(default_factory=FakeJobQueues)
    orders: FakeOrders = field(init=False)
    throttle: FakeThrottle = field(init=False)
    connections: FakeConnections = field(init=False)
    # The channels' API clients (the product's own, MarketplaceClients) over a transport a test
    # gives: `tests.support.marketplaces.with_fake_markets(adapters)` puts the fake marketplaces
    # behind it, in process.
    marketplaces: Any = field(init=False)
    # The product's own channel registry over the fake mailer: stores' buyers by email,
    # marketplaces only once a test registers a messenger for them.
    messenger: ChannelMessengers = field(init=False)
    # False: marketplaces have no messenger (tests of decision 0012's "canal_sin_mensajeria").
    register_marketplaces: bool = True

    def __post_init__(self) -> None:
        from postventa.messaging.channel_messengers import register_marketplace_messengers

        self.orders = FakeOrders(self.clock)
        if self.pacs.clock is None:
            self.pacs.clock = self.clock.now
        self.throttle = FakeThrottle(self.clock)
        self.connections = FakeConnections(self.clock)
        self.marketplaces = None
        self.messenger = ChannelMessengers(EmailMessenger(self.mailer))
        if self.register_marketplaces:
            register_marketplace_messengers(self.messenger, self)
