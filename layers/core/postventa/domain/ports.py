"""What the services need from the outside world, as Protocols.

Adapters implement them (`storage/` DynamoDB, S3 and Secrets Manager; `messaging/` SES, SQS and
EventBridge; `workflow/` Step Functions); `postventa.bootstrap` builds the AWS ones, the tests'
in-memory fakes (tests/support/fakes.py) the others. Services receive an `Adapters` bundle and
never import boto3 or read the environment.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from pydantic import BaseModel

from postventa.domain.erp import AttemptOutcome, ErpDelivery, ErpEndpoint, PostResult
from postventa.domain.global_invoices import GlobalCfdi, GlobalRun, RunState
from postventa.domain.invoices import DocumentRef  # in the FolioHolder alias, built at import
from postventa.domain.orders import Order, OrderRecord, OrderRef
from postventa.domain.status import OrderStatus, Transition
from postventa.domain.tenants import Tenant

if TYPE_CHECKING:  # models only named in the Protocols: no import cost for functions without them
    from postventa.cfdi.issuer import CsdCredentials
    from postventa.cfdi.pac._http import PacCredentials
    from postventa.cfdi.pac.base import Pac
    from postventa.channels.clients import MarketplaceClients
    from postventa.domain.accounts import ApiKeyInfo, PanelSession, SellerUser, SignInOutcome
    from postventa.domain.billing_links import BillingLink  # billing form, requests, reminders
    from postventa.domain.cancellations import InvoiceCancellation
    from postventa.domain.channels import ChannelConnection
    from postventa.domain.customers import AuditEntry, Customer, CustomerJob, CustomerOrder
    from postventa.domain.invoices import FolioAccount, FolioReservation
    from postventa.domain.messages import MessageTemplate, RenderedMessage
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


class NumberedOrder(BaseModel):
    """An order found by its number: which one, and the total to compare (nothing personal)."""

    ref: OrderRef
    total_paid: Decimal


class Orders(Protocol):
    def add(self, order: Order) -> bool:
        """Store a new order in `recibido`; False when it already exists (a redelivery)."""

    def get(self, ref: OrderRef) -> OrderRecord | None: ...

    def list_recent(self, tenant_id: str, limit: int, cursor: str | None = None) -> OrderPage:
        """The tenant's orders, most recently paid first, one page at a time."""

    def list_by_status(
        self, tenant_id: str, status: OrderStatus, *, since: str | None = None
    ) -> Iterator[OrderRecord]:
        """The tenant's orders in `status` (with `since`: that entered it at or after that ISO
        time)."""

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
        """The tenant's orders matching every filter (paid in [paid_from, paid_to)); a status
        alone is most recently changed first, otherwise newest paid first. A page reads a bounded
        number of items, so it may be short with a cursor to go on."""

    def list_in_status(
        self, tenant_id: str, status: OrderStatus, limit: int, cursor: str | None = None
    ) -> OrderPage:
        """The tenant's orders in `status`, most recently changed first, a page at a time."""

    def find_by_number(self, tenant_id: str, number_key: str) -> list[NumberedOrder]:
        """The tenant's orders whose display number has this lookup key
        (`domain.self_invoice.order_number_key`): one per channel that used the number."""

    def apply(
        self, ref: OrderRef, transition: Transition, *, extra: Mapping[str, Any] | None = None
    ) -> bool:
        """Move the order along `transition` (and set `extra` fields of OrderRecord) in one
        conditional write; False when the order is not in one of the transition's sources."""

    def apply_many(
        self,
        refs: Sequence[OrderRef],
        transition: Transition,
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> list[OrderRef]:
        """`apply` to many orders at once (the same fields on each); returns the ones moved
        (an order no longer in a source status is left as it is)."""

    def note(self, ref: OrderRef, **fields: Any) -> None:
        """Set bookkeeping fields of OrderRecord (e.g. billing_request_skipped)."""

    def claim_once(self, ref: OrderRef, marker: str, at: str) -> bool:
        """Set the OrderRecord field `marker` to `at` unless already set: True for the first
        caller only (e.g. one reminder ever)."""

    def record_event(self, ref: OrderRef, entry: HistoryEntry) -> bool:
        """Append a history entry; False when an entry with the same event id exists."""

    def record_events(self, entries: Sequence[tuple[OrderRef, HistoryEntry]]) -> None:
        """Write many history entries at once; writing an entry again (same time and event id)
        leaves one (a retried job records the same entries)."""

    def history(self, ref: OrderRef) -> list[HistoryEntry]:
        """The order's history in the order things happened."""


class BillingLinks(Protocol):
    def create(self, ref: OrderRef, *, task_token: str, expires_at: int, round: int = 0) -> str:
        """Store a new link for the order (`round`: its correction round); returns the raw
        token (only its hash is stored)."""

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

    def list_api_keys(self, tenant_id: str) -> list[ApiKeyInfo]: ...

    def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        """Revoke the tenant's key named `key_id` (domain.accounts.api_key_id); False if none."""


class TenantSecrets(Protocol):
    """Per-tenant channel secrets (webhook signing secrets, channel tokens)."""

    def get(self, tenant_id: str) -> dict[str, Any] | None: ...

    def put(self, tenant_id: str, value: Mapping[str, Any]) -> None: ...

    def channel(
        self, tenant_id: str, channel: str, *, fresh: bool = False
    ) -> dict[str, Any] | None:
        """The secrets of one channel of the tenant, or None (unknown tenant or channel);
        `fresh` reads past any cache (another function may have just refreshed a token)."""

    def put_channel(self, tenant_id: str, channel: str, value: Mapping[str, Any]) -> None:
        """Create or replace the channel's own secret."""

    def delete_channel(self, tenant_id: str, channel: str) -> None: ...


class Throttle(Protocol):
    """Token buckets shared by every function (rate limits of the channels' APIs)."""

    def acquire(self, bucket: str, rate_per_second: float, burst: int) -> float:
        """Take one token: 0 when taken, else the seconds to wait before one is available."""


class ChannelApps(Protocol):
    """Operator-level channel secrets: our apps' credentials, the OAuth state key."""

    def app(self, name: str) -> Mapping[str, Any]: ...

    def state_key(self) -> bytes: ...


class PollState(BaseModel):
    cursor: str | None = None
    last_started_at: int = 0
    lease_until: int = 0


class Connections(Protocol):
    """Sellers' channel connections (the records; credentials are TenantSecrets')."""

    def get(self, tenant_id: str, channel: str) -> ChannelConnection | None: ...

    def put(self, connection: ChannelConnection) -> None: ...

    def of_tenant(self, tenant_id: str) -> list[ChannelConnection]: ...

    def connected(self, channel: str) -> list[ChannelConnection]:
        """Every tenant's connection of `channel` in `conectada` (the pollers' fan-out)."""

    def tenant_for_account(self, channel: str, account_id: str) -> str | None: ...

    def claim_account(self, channel: str, account_id: str, tenant_id: str) -> bool:
        """Own the channel account for the tenant; False when another tenant owns it."""

    def release_account(self, channel: str, account_id: str, tenant_id: str) -> None: ...

    def lock_refresh(self, tenant_id: str, channel: str, holder: str, seconds: int) -> bool:
        """One refresher of the tenant's token at a time (a lease that expires by itself)."""

    def unlock_refresh(self, tenant_id: str, channel: str, holder: str) -> None: ...

    def poll_state(self, tenant_id: str, channel: str) -> PollState: ...

    def start_poll(
        self, tenant_id: str, channel: str, holder: str, lease_seconds: int, min_interval: int
    ) -> bool: ...

    def finish_poll(
        self, tenant_id: str, channel: str, holder: str, cursor: str | None
    ) -> bool: ...

    def use_state(self, nonce: str, expires_at: int) -> bool:
        """Spend an OAuth state's nonce; False when it was spent before (a replay)."""

    def notice_once(self, tenant_id: str, channel: str, notice: str) -> bool: ...

    def forget_notice(self, tenant_id: str, channel: str, notice: str) -> None: ...

    def park(self, tenant_id: str, channel: str, key: str, body: str) -> None:
        """Keep a delivery that could not be fetched while the connection is broken."""

    def parked(self, tenant_id: str, channel: str) -> list[tuple[str, str]]:
        """(handle, body) of every parked delivery of the channel."""

    def unpark(self, tenant_id: str, channel: str, handle: str) -> None: ...


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Send one email; returns the provider's message id."""


class Messenger(Protocol):
    """Reaches an order's buyer through the order's channel: email for stores, the marketplace's
    own messaging for marketplaces (each registers its messenger; until then there is none)."""

    def delivers(self, channel: str) -> bool:
        """Whether billing messages for `channel` can be sent at all today."""

    def unreachable_reason(self, order: Order) -> str | None:
        """Why this order's buyer cannot be messaged (a stable code the order keeps in
        `billing_request_skipped`: sin_email, canal_sin_mensajeria), or None when they can."""

    def send_billing_message(self, order: Order, message: RenderedMessage) -> str:
        """Send the rendered billing-request message; returns the provider's message id."""


class MessageTemplates(Protocol):
    """Sellers' message templates, one per tenant, kind and channel (kind: billing_request, the
    default, or shipping_notice)."""

    def get(
        self, tenant_id: str, channel: str, kind: str = "billing_request"
    ) -> MessageTemplate | None: ...

    def list(self, tenant_id: str, kind: str = "billing_request") -> list[MessageTemplate]: ...

    def put(self, template: MessageTemplate, kind: str = "billing_request") -> None: ...

    def delete(self, tenant_id: str, channel: str, kind: str = "billing_request") -> bool:
        """Forget the tenant's template for `channel`; False when there was none."""


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> None: ...


class Lifecycle(Protocol):
    def start(
        self, ref: OrderRef, deadline_seconds: int, *, attempt: int = 0, with_data: bool = False
    ) -> bool:
        """Start the order's lifecycle (`attempt` n > 0: the seller's nth retry; `with_data`:
        the buyer's data is in, go straight to invoicing); False when it already exists."""

    def complete_task(self, task_token: str, output: Mapping[str, Any]) -> None:
        """Answer a waiting task; raises TaskClosedError when nothing waits for it any more."""

    def status(self, ref: OrderRef, attempt: int = 0) -> str | None:
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


# Who holds a folio: an order's own invoice, or another CFDI (a global invoice's, a substitute).
FolioHolder: TypeAlias = OrderRef | DocumentRef


class Folios(Protocol):
    """A tenant's folio account and each CFDI's claim on it (spent exactly once per invoice)."""

    def account(self, tenant_id: str) -> FolioAccount | None: ...

    def reservation(self, ref: FolioHolder) -> FolioReservation | None: ...

    def reserve(self, ref: FolioHolder) -> FolioReservation | None:
        """The holder's live reservation (the same one on a retry), or a new one taken from the
        account; None when the account has no folio left."""

    def spend(self, ref: FolioHolder) -> None:
        """The reservation's invoice was stamped: the folio is gone for good (idempotent)."""

    def release(self, ref: FolioHolder) -> None:
        """Give a reserved folio back to the account (idempotent; a spent one stays spent)."""

    def add(self, tenant_id: str, count: int) -> FolioAccount:
        """Add folios to the account (creating it if needed); returns the new balance. Also
        re-arms the "no folios left" notice."""

    def notice_empty_once(self, tenant_id: str) -> bool:
        """True the first time it is asked since the account last received folios."""


class Documents(Protocol):
    """Invoice documents (sealed and stamped XML, PDF) in the documents bucket, always by tenant:
    a key outside the tenant's own `invoices/{tenant}/` prefix is refused before any S3 call."""

    def put(self, tenant_id: str, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, tenant_id: str, key: str) -> bytes | None: ...

    def download_url(self, tenant_id: str, key: str, filename: str, seconds: int) -> str:
        """A link that downloads the document for `seconds`, then stops working."""


class Pacs(Protocol):
    def for_tenant(self, tenant: Tenant) -> Pac:
        """The PAC the tenant stamps with: the sandbox, or its provider with its account."""


class GlobalInvoices(Protocol):
    """A tenant's global-invoice runs and their CFDIs (domain/global_invoices.py)."""

    def create_run(self, run: GlobalRun) -> bool:
        """Store a new run; False when a run with its id exists."""

    def get_run(self, tenant_id: str, run_id: str) -> GlobalRun | None: ...

    def runs_of_period(self, tenant_id: str, period_key: str) -> list[GlobalRun]:
        """The period's runs, first to last."""

    def list_runs(self, tenant_id: str, limit: int, cursor: str | None = None) -> RunPage:
        """The tenant's runs, newest period first."""

    def open_runs(self, tenant_id: str) -> list[GlobalRun]:
        """Runs with a step left (`GlobalRun.has_steps_left`)."""

    def save_run(self, run: GlobalRun, *, expect: RunState | None = None) -> bool:
        """Write the run; with `expect`, only while the stored run is in that state."""

    def lease(self, tenant_id: str, run_id: str, *, now: int, seconds: int) -> GlobalRun | None:
        """Take the run's lease unless another worker holds a live one; the run as leased."""

    def unlease(self, tenant_id: str, run_id: str) -> None: ...

    def put_cfdi(self, cfdi: GlobalCfdi) -> None: ...

    def cfdis(self, tenant_id: str, run_id: str) -> list[GlobalCfdi]: ...

    def get_cfdi(self, tenant_id: str, run_id: str, index: int) -> GlobalCfdi | None: ...

    def mark_replaced(self, cfdi: GlobalCfdi, by_run: str) -> bool:
        """Record which run re-issues the CFDI, once: False when another run already does."""


class RunPage(BaseModel):
    runs: list[GlobalRun]
    next_cursor: str | None = None


class Cancellations(Protocol):
    """Every cancellation asked for, by the cancelled CFDI's UUID (domain/cancellations.py)."""

    def open(self, cancellation: InvoiceCancellation) -> InvoiceCancellation:
        """Store a new cancellation unless one for the UUID is already open or done; returns
        the stored one (the caller compares it with what it asked for)."""

    def get(self, tenant_id: str, uuid: str) -> InvoiceCancellation | None: ...

    def unfinished(self, tenant_id: str) -> list[InvoiceCancellation]:
        """Cancellations not final yet (to send again, or to ask the PAC about)."""

    def save(self, cancellation: InvoiceCancellation) -> bool:
        """Write it if the stored version is the one it was read with (then the version goes
        up); False when someone else changed it meanwhile."""


class JobQueues(Protocol):
    """Background work queues: scheduled jobs fanned out per tenant ("tenant", "fiscal") and the
    customers' mass updates and exports ("customer"), one message per job step."""

    def send(self, queue: str, bodies: Sequence[str]) -> None:
        """Queue the messages on `queue` ("tenant", "fiscal" or "customer")."""


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


class ErpEndpoints(Protocol):
    """A tenant's ERP settings (DynamoDB) and the secret that signs its POSTs (Secrets Manager,
    never DynamoDB, never logs)."""

    def get(self, tenant_id: str) -> ErpEndpoint | None: ...

    def put(self, endpoint: ErpEndpoint) -> None: ...

    def signing_secret(self, tenant_id: str) -> str | None: ...

    def put_signing_secret(self, tenant_id: str, secret: str) -> None: ...


class ErpDeliveryPage(BaseModel):
    deliveries: list[ErpDelivery]
    next_cursor: str | None = None


class ErpDeliveries(Protocol):
    """The delivery log: one record per (tenant, bus event), kept 90 days."""

    def open(self, delivery: ErpDelivery) -> ErpDelivery:
        """Store `delivery` unless its id is already logged; returns the stored record."""

    def get(self, tenant_id: str, delivery_id: str) -> ErpDelivery | None: ...

    def claim(self, delivery: ErpDelivery, *, now: int, lease_seconds: int, at: str) -> bool:
        """Start an attempt: one conditional write that counts it and takes a lease, only while
        the record is in the same round, not settled, and no other attempt holds a lease."""

    def finish(self, delivery: ErpDelivery, outcome: AttemptOutcome, *, at: str) -> bool:
        """Record the attempt's outcome and release the lease; False when the seller re-queued
        the delivery meanwhile (another round: this outcome is stale)."""

    def reopen(self, tenant_id: str, delivery_id: str, *, at: str) -> ErpDelivery | None:
        """The seller's redeliver: a new round, `pendiente`, attempts from zero; None when the
        delivery does not exist."""

    def list_recent(
        self, tenant_id: str, limit: int, cursor: str | None = None
    ) -> ErpDeliveryPage: ...


class ErpPoster(Protocol):
    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, allow_loopback: bool
    ) -> PostResult:
        """POST once (no redirects followed, a few seconds at most); never raises for what the
        network or the ERP did: the result says it."""


class ErpQueue(Protocol):
    def send(self, body: str) -> None: ...

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        """Keep a received message hidden for `seconds` (the next attempt's delay)."""


class Identity(Protocol):
    """People's logins (the user pool): passwords never leave it."""

    def sign_in(self, email: str, password: str) -> SignInOutcome: ...

    def choose_password(self, email: str, challenge: str, new_password: str) -> SignInOutcome:
        """Answer NewPasswordRequired with the person's own password."""

    def user_for_access_token(self, token: str) -> str | None:
        """The user id (sub) of a valid, unrevoked access token, or None."""

    def create_login(self, email: str, temporary_password: str) -> str:
        """A new login that must choose its password at first sign-in; returns its user id."""

    def ensure_login(self, email: str, password: str) -> str:
        """A login with this permanent password (created if needed); returns its user id."""

    def set_enabled(self, email: str, enabled: bool) -> None:
        """Let the person sign in again, or not (and end their tokens)."""


class SellerUsers(Protocol):
    """Who belongs to which tenant, with which role (keyed by the user pool's sub)."""

    def get(self, user_id: str) -> SellerUser | None: ...

    def put(self, user: SellerUser) -> None: ...

    def list(self, tenant_id: str) -> list[SellerUser]: ...


class Sessions(Protocol):
    """The panel's signed-in browsers (only a hash of each cookie's token is kept)."""

    def create(self, session: PanelSession) -> None: ...

    def get(self, tenant_id: str, token_hash: str) -> PanelSession | None: ...

    def touch(self, session: PanelSession, idle_until: int) -> bool:
        """Push the idle deadline; False when the session no longer exists."""

    def delete(self, tenant_id: str, token_hash: str) -> None: ...


class Customers(Protocol):
    """A tenant's customers (storage/customers.py): records, audit, orders, search index, jobs."""

    def next_id(self, tenant_id: str) -> str: ...

    def get(self, tenant_id: str, customer_id: str) -> Customer | None: ...

    def holder(self, tenant_id: str, kind: str, value: str) -> str | None:
        """The customer id holding an RFC ("RFC") or a lower-cased primary email ("EMAIL")."""

    def get_many(self, tenant_id: str, customer_ids: list[str]) -> list[Customer]: ...

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
        """(sort key, customer id) of index entries of `field` whose value starts with `value`
        (or is it, `exact`), in order, after `start_after`; and the last sort key read when
        there may be more."""

    def save(self, customer: Customer, previous: Customer | None, audit: AuditEntry) -> str:
        """One transaction (domain.customers.SaveOutcome): guardado, ya_aplicado (the audit
        entry exists: a re-run), conflicto_version, rfc_ocupado, email_ocupado."""

    def audit(self, tenant_id: str, customer_id: str, limit: int = 100) -> list[AuditEntry]: ...

    def has_audit_entry(self, tenant_id: str, customer_id: str, at: str, change_id: str) -> bool:
        """Whether the change (`at`, `change_id`) was recorded for the customer."""

    def orders(self, tenant_id: str, customer_id: str, limit: int = 100) -> list[CustomerOrder]: ...

    def link_order(self, tenant_id: str, customer_id: str, order: CustomerOrder) -> bool: ...

    def record_invoice(self, tenant_id: str, customer_id: str, order: CustomerOrder) -> bool:
        """The invoice on the order's link and on the customer's count, once per invoice."""

    def put_job(self, job: CustomerJob) -> None: ...

    def get_job(self, tenant_id: str, job_id: str) -> CustomerJob | None: ...


class ExportWriter(Protocol):
    def write(self, data: bytes) -> None: ...

    def close(self) -> None:
        """Finish the file (nothing is visible before)."""

    def abort(self) -> None: ...


class ExportFiles(Protocol):
    """Files made for a person to download (customer CSVs), in constant memory."""

    def open(self, tenant_id: str, key: str, content_type: str) -> ExportWriter:
        """A new file under the tenant's own `exports/{tenant_id}/` prefix."""

    def download_url(self, tenant_id: str, key: str, filename: str, seconds: int) -> str: ...


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
    def messenger(self) -> Messenger: ...
    @property
    def message_templates(self) -> MessageTemplates: ...
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
    @property
    def folios(self) -> Folios: ...
    @property
    def documents(self) -> Documents: ...
    @property
    def pacs(self) -> Pacs: ...
    @property
    def erp_endpoints(self) -> ErpEndpoints: ...
    @property
    def erp_deliveries(self) -> ErpDeliveries: ...
    @property
    def erp_poster(self) -> ErpPoster: ...
    @property
    def erp_queue(self) -> ErpQueue: ...
    @property
    def identity(self) -> Identity: ...
    @property
    def users(self) -> SellerUsers: ...
    @property
    def sessions(self) -> Sessions: ...
    @property
    def customers(self) -> Customers: ...
    @property
    def exports(self) -> ExportFiles: ...
    @property
    def throttle(self) -> Throttle: ...
    @property
    def connections(self) -> Connections: ...
    @property
    def marketplaces(self) -> MarketplaceClients: ...
    @property
    def channel_apps(self) -> ChannelApps: ...
    @property
    def poll_queue(self) -> OrderQueue: ...
    @property
    def global_invoices(self) -> GlobalInvoices: ...
    @property
    def cancellations(self) -> Cancellations: ...
    @property
    def jobs(self) -> JobQueues: ...
