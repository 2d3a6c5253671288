"""The one place that builds the product's adapters: `bootstrap()` for the function's own
environment, `build_adapters(settings)` for an explicit one (the local cloud's seeders).

Nothing is built at import or before first use: each adapter (and the boto3 client behind it)
is created when a service first asks for it, then kept for the life of the process, so a
function pays only for what it uses. Handlers call `bootstrap()` inside the invocation.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from postventa.domain.clock import SystemClock
from postventa.domain.ports import Clock
from postventa.settings import Settings

if TYPE_CHECKING:
    from postventa.channels.clients import MarketplaceClients
    from postventa.messaging.email import SesMailer
    from postventa.messaging.erp_http import HttpErpPoster
    from postventa.messaging.events import EventBridgePublisher
    from postventa.messaging.exchange_rates import BanxicoRates, SandboxRates
    from postventa.messaging.messengers import ChannelMessengers
    from postventa.messaging.pacs import AwsPacs
    from postventa.messaging.queue import SqsErpQueue, SqsJobQueues, SqsOrderQueue
    from postventa.storage.accounts import DynamoSellerUsers, DynamoSessions
    from postventa.storage.billing_links import DynamoBillingLinks
    from postventa.storage.cancellations import DynamoCancellations
    from postventa.storage.channel_apps import SecretsManagerChannelApps
    from postventa.storage.connections import DynamoConnections
    from postventa.storage.credentials import SecretsManagerCredentials
    from postventa.storage.customers import DynamoCustomers
    from postventa.storage.documents import S3Documents
    from postventa.storage.erp import DynamoErpDeliveries, DynamoErpEndpoints
    from postventa.storage.exports import S3ExportFiles
    from postventa.storage.folios import DynamoFolios
    from postventa.storage.global_invoices import DynamoGlobalInvoices
    from postventa.storage.identity import CognitoIdentity
    from postventa.storage.message_templates import DynamoMessageTemplates
    from postventa.storage.orders import DynamoOrders
    from postventa.storage.payloads import S3Payloads
    from postventa.storage.rate_limits import DynamoRateLimiter
    from postventa.storage.rejections import DynamoRejections
    from postventa.storage.secrets import SecretsManagerTenantSecrets
    from postventa.storage.tenants import DynamoTenants
    from postventa.storage.throttle import DynamoThrottle
    from postventa.storage.webhooks import DynamoWebhookDeliveries
    from postventa.workflow.lifecycle import StepFunctionsLifecycle


class AwsAdapters:
    """The ports implemented on AWS (boto3 clients from `postventa.aws`, lazily)."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()

    @functools.cached_property
    def _table(self) -> Any:
        from postventa.aws import resource

        return resource("dynamodb").Table(self.settings.table_name)

    @staticmethod
    def _client(service: str) -> Any:
        from postventa.aws import client

        return client(service)

    @functools.cached_property
    def orders(self) -> DynamoOrders:
        from postventa.storage.orders import DynamoOrders

        return DynamoOrders(self._table, self.clock)

    @functools.cached_property
    def links(self) -> DynamoBillingLinks:
        from postventa.storage.billing_links import DynamoBillingLinks

        return DynamoBillingLinks(self._table, self.clock)

    @functools.cached_property
    def tenants(self) -> DynamoTenants:
        from postventa.storage.tenants import DynamoTenants

        return DynamoTenants(self._table, self.clock)

    @functools.cached_property
    def deliveries(self) -> DynamoWebhookDeliveries:
        from postventa.storage.webhooks import DynamoWebhookDeliveries

        return DynamoWebhookDeliveries(self._table, self.clock)

    @functools.cached_property
    def secrets(self) -> SecretsManagerTenantSecrets:
        from postventa.storage.secrets import SecretsManagerTenantSecrets

        return SecretsManagerTenantSecrets(self._client("secretsmanager"))

    @functools.cached_property
    def credentials(self) -> SecretsManagerCredentials:
        from postventa.storage.credentials import SecretsManagerCredentials

        return SecretsManagerCredentials(self._client("secretsmanager"))

    @functools.cached_property
    def payloads(self) -> S3Payloads:
        from postventa.storage.payloads import S3Payloads

        return S3Payloads(self._client("s3"), self.settings.documents_bucket)

    @functools.cached_property
    def mailer(self) -> SesMailer:
        from postventa.messaging.email import SesMailer

        return SesMailer(self._client("ses"), self.settings.mail_from)

    @functools.cached_property
    def messenger(self) -> ChannelMessengers:
        from postventa.messaging.channel_messengers import register_marketplace_messengers
        from postventa.messaging.messengers import ChannelMessengers, EmailMessenger

        # Stores' buyers by email; marketplaces through their own messaging (decision 0016).
        registry = ChannelMessengers(EmailMessenger(self.mailer))
        register_marketplace_messengers(registry, self)
        return registry

    @functools.cached_property
    def message_templates(self) -> DynamoMessageTemplates:
        from postventa.storage.message_templates import DynamoMessageTemplates

        return DynamoMessageTemplates(self._table)

    @functools.cached_property
    def events(self) -> EventBridgePublisher:
        from postventa.messaging.events import EventBridgePublisher

        return EventBridgePublisher(self._client("events"), self.settings.event_bus_name)

    @functools.cached_property
    def queue(self) -> SqsOrderQueue:
        from postventa.messaging.queue import SqsOrderQueue

        url = self.settings.require("orders_queue_url")
        return SqsOrderQueue(self._client("sqs"), url)

    @functools.cached_property
    def lifecycle(self) -> StepFunctionsLifecycle:
        from postventa.workflow.lifecycle import StepFunctionsLifecycle

        # Answering a task needs no ARN (the billing form); starting one does (ingest).
        return StepFunctionsLifecycle(
            self._client("stepfunctions"),
            lambda: self.settings.require("lifecycle_state_machine_arn"),
        )

    @functools.cached_property
    def rejections(self) -> DynamoRejections:
        from postventa.storage.rejections import DynamoRejections

        return DynamoRejections(self._table)

    @functools.cached_property
    def limiter(self) -> DynamoRateLimiter:
        from postventa.storage.rate_limits import DynamoRateLimiter

        return DynamoRateLimiter(self._table)

    @functools.cached_property
    def rates(self) -> BanxicoRates | SandboxRates:
        from postventa.messaging.exchange_rates import BanxicoRates, SandboxRates

        if self.settings.exchange_rates == "sandbox":
            return SandboxRates()
        return BanxicoRates(self._banxico_token)

    @functools.cached_property
    def erp_endpoints(self) -> DynamoErpEndpoints:
        from postventa.storage.erp import DynamoErpEndpoints

        return DynamoErpEndpoints(self._table, self._client("secretsmanager"))

    @functools.cached_property
    def erp_deliveries(self) -> DynamoErpDeliveries:
        from postventa.storage.erp import DynamoErpDeliveries

        return DynamoErpDeliveries(self._table)

    @functools.cached_property
    def erp_poster(self) -> HttpErpPoster:
        from postventa.messaging.erp_http import HttpErpPoster

        return HttpErpPoster()

    @functools.cached_property
    def erp_queue(self) -> SqsErpQueue:
        from postventa.messaging.queue import SqsErpQueue

        return SqsErpQueue(self._client("sqs"), self.settings.require("erp_queue_url"))

    @functools.cached_property
    def identity(self) -> CognitoIdentity:
        from postventa.storage.identity import CognitoIdentity

        return CognitoIdentity(
            self._client("cognito-idp"),
            lambda: self.settings.require("seller_user_pool_id"),
            lambda: self.settings.require("seller_user_pool_client_id"),
        )

    @functools.cached_property
    def users(self) -> DynamoSellerUsers:
        from postventa.storage.accounts import DynamoSellerUsers

        return DynamoSellerUsers(self._table)

    @functools.cached_property
    def sessions(self) -> DynamoSessions:
        from postventa.storage.accounts import DynamoSessions

        return DynamoSessions(self._table)

    @functools.cached_property
    def customers(self) -> DynamoCustomers:
        from postventa.storage.customers import DynamoCustomers

        return DynamoCustomers(self._table)

    @functools.cached_property
    def exports(self) -> S3ExportFiles:
        from postventa.storage.exports import S3ExportFiles

        return S3ExportFiles(self._client("s3"), self.settings.documents_bucket)

    @functools.cached_property
    def global_invoices(self) -> DynamoGlobalInvoices:
        from postventa.storage.global_invoices import DynamoGlobalInvoices

        return DynamoGlobalInvoices(self._table)

    @functools.cached_property
    def cancellations(self) -> DynamoCancellations:
        from postventa.storage.cancellations import DynamoCancellations

        return DynamoCancellations(self._table)

    @functools.cached_property
    def jobs(self) -> SqsJobQueues:
        from postventa.messaging.queue import SqsJobQueues

        # "tenant", "fiscal" (scheduled jobs per tenant) and "customer" (mass updates, exports)
        return SqsJobQueues(
            self._client("sqs"), lambda queue: self.settings.require(f"{queue}_jobs_queue_url")
        )

    def _banxico_token(self) -> str:
        from postventa.storage.secrets import banxico_token

        return banxico_token(self._client("secretsmanager"))

    @functools.cached_property
    def folios(self) -> DynamoFolios:
        from postventa.storage.folios import DynamoFolios

        return DynamoFolios(self._table, self.clock)

    @functools.cached_property
    def documents(self) -> S3Documents:
        from postventa.storage.documents import S3Documents

        return S3Documents(self._client("s3"), self.settings.documents_bucket)

    @functools.cached_property
    def pacs(self) -> AwsPacs:
        from postventa.messaging.pacs import AwsPacs

        return AwsPacs(
            self._table, self._client("secretsmanager"), self.credentials.load_pac_credentials
        )

    # ---------------------------------------------------------------- channels (decision 0016)
    @functools.cached_property
    def throttle(self) -> DynamoThrottle:
        from postventa.storage.throttle import DynamoThrottle

        return DynamoThrottle(self._table, self.clock)

    @functools.cached_property
    def connections(self) -> DynamoConnections:
        from postventa.storage.connections import DynamoConnections

        return DynamoConnections(self._table, self.clock)

    @functools.cached_property
    def channel_apps(self) -> SecretsManagerChannelApps:
        from postventa.storage.channel_apps import SecretsManagerChannelApps

        return SecretsManagerChannelApps(self._client("secretsmanager"))

    @functools.cached_property
    def marketplaces(self) -> MarketplaceClients:
        from postventa.channels.clients import ChannelUrls, MarketplaceClients
        from postventa.channels.http import UrllibTransport
        from postventa.services.connections import mark_broken

        settings = self.settings
        return MarketplaceClients(
            urls=ChannelUrls(
                mercadolibre_api=settings.require("mercadolibre_api_url"),
                mercadolibre_auth=settings.require("mercadolibre_auth_url"),
                amazon_spapi=settings.require("amazon_spapi_url"),
                amazon_lwa=settings.require("amazon_lwa_url"),
                liverpool_api=settings.require("liverpool_api_url"),
            ),
            connections=self.connections,
            secrets=self.secrets,
            throttle=self.throttle,
            transport=UrllibTransport(),
            clock=self.clock,
            app_credentials=self.channel_apps.app,
            on_broken=lambda tenant, channel, reason: mark_broken(self, tenant, channel, reason),
        )

    @functools.cached_property
    def poll_queue(self) -> SqsOrderQueue:
        from postventa.messaging.queue import SqsOrderQueue

        return SqsOrderQueue(self._client("sqs"), self.settings.require("channel_poll_queue_url"))


def build_adapters(env: Mapping[str, str]) -> AwsAdapters:
    """Adapters for an explicit environment (validated: missing infrastructure is an error)."""
    return AwsAdapters(Settings.from_env(env))


@functools.cache
def bootstrap() -> AwsAdapters:
    """This process's adapters, from its own environment (the function's, in Lambda)."""
    return build_adapters(os.environ)


def reset() -> None:
    """Forget the adapters and boto3 clients (the local cloud calls it when a function's
    environment changes; tests between clouds)."""
    from postventa.aws import reset_clients

    bootstrap.cache_clear()
    reset_clients()
