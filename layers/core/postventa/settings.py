"""One Settings model, read from the environment the template gives each function.

Every infrastructure name the Globals of template.yaml set is required: a function deployed
without one fails at its first invocation with the variable's name, not later at an AWS call.
Values that only some functions have (the queue URL, the state machine ARN) are checked when the
adapter that needs them is built (`Settings.require`). Locally the embedded cloud provisions
functions from the same template, with local values from its metadata: there are no code
defaults for infrastructure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigurationError(RuntimeError):
    """The function's environment lacks what it needs (a deployment mistake, for operators)."""


class Settings(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    stage: str = Field(alias="POSTVENTA_STAGE", min_length=1)
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    documents_bucket: str = Field(alias="DOCUMENTS_BUCKET", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    public_base_url: str = Field(alias="PUBLIC_BASE_URL", min_length=1)
    mail_from: str = Field(alias="MAIL_FROM", min_length=3)
    orders_queue_url: str | None = Field(None, alias="ORDERS_QUEUE_URL")
    lifecycle_state_machine_arn: str | None = Field(None, alias="LIFECYCLE_STATE_MACHINE_ARN")
    exchange_rates: Literal["banxico", "sandbox"] = Field(alias="EXCHANGE_RATES")
    erp_queue_url: str | None = Field(None, alias="ERP_QUEUE_URL")
    # People's sign-in (the panel, and tokens on the seller API): the template's user pool.
    seller_user_pool_id: str | None = Field(None, alias="SELLER_USER_POOL_ID")
    seller_user_pool_client_id: str | None = Field(None, alias="SELLER_USER_POOL_CLIENT_ID")
    customer_jobs_queue_url: str | None = Field(None, alias="CUSTOMER_JOBS_QUEUE_URL")
    # The deployment's longest buyer deadline (template parameter BillingDeadlineSeconds): the
    # panel refuses a tenant deadline above it (the state machine would cut it anyway).
    billing_deadline_max_seconds: int = Field(
        7 * 24 * 3600, alias="BILLING_DEADLINE_MAX_SECONDS", gt=0
    )
    # Scheduled jobs fan out per tenant on these (services/scheduled_jobs.py).
    tenant_jobs_queue_url: str | None = Field(None, alias="TENANT_JOBS_QUEUE_URL")
    fiscal_jobs_queue_url: str | None = Field(None, alias="FISCAL_JOBS_QUEUE_URL")
    # Policy, not infrastructure: whether a seller's ERP may be this machine (http://127.0.0.1),
    # which only the local cloud allows (template parameter ErpAllowLoopback).
    erp_allow_loopback: bool = Field(False, alias="ERP_ALLOW_LOOPBACK")
    # Where the channels' APIs live (template parameters with the real hosts; the local cloud
    # points them at the fake marketplaces). Required by the functions that call a channel.
    mercadolibre_api_url: str | None = Field(None, alias="MERCADOLIBRE_API_URL")
    mercadolibre_auth_url: str | None = Field(None, alias="MERCADOLIBRE_AUTH_URL")
    amazon_spapi_url: str | None = Field(None, alias="AMAZON_SPAPI_URL")
    amazon_lwa_url: str | None = Field(None, alias="AMAZON_LWA_URL")
    liverpool_api_url: str | None = Field(None, alias="LIVERPOOL_API_URL")
    channel_poll_queue_url: str | None = Field(None, alias="CHANNEL_POLL_QUEUE_URL")
    # Product limit, not infrastructure: the largest webhook body accepted (SQS claim check above
    # ~200 KiB, services/webhooks.py).
    max_webhook_body_bytes: int = Field(256 * 1024, alias="MAX_WEBHOOK_BODY_BYTES", gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        names = {f.alias for f in cls.model_fields.values() if f.alias}
        try:
            return cls.model_validate({k: v for k, v in env.items() if k in names and v != ""})
        except ValidationError as exc:
            missing = sorted(
                str(e["loc"][0])
                for e in exc.errors()
                if e["type"] in ("missing", "string_too_short")
            )
            raise ConfigurationError(
                f"environment variables missing or empty: {', '.join(missing) or exc}"
            ) from None

    def require(self, field: str) -> str:
        """A per-function value (e.g. orders_queue_url), or ConfigurationError naming it."""
        value = getattr(self, field)
        if not value:
            alias = type(self).model_fields[field].alias
            raise ConfigurationError(f"environment variable {alias} is not set for this function")
        return str(value)
