"""One Settings model read from the environment (template.yaml Globals set these in Lambda)."""

from __future__ import annotations

import functools
import os

from pydantic import BaseModel, Field


class Settings(BaseModel):
    stage: str = Field("local", alias="POSTVENTA_STAGE")
    table_name: str = Field("postventa", alias="TABLE_NAME")
    documents_bucket: str = Field("postventa-documents", alias="DOCUMENTS_BUCKET")
    orders_queue_url: str = Field("", alias="ORDERS_QUEUE_URL")
    event_bus_name: str = Field("postventa", alias="EVENT_BUS_NAME")
    lifecycle_state_machine_arn: str = Field("", alias="LIFECYCLE_STATE_MACHINE_ARN")
    public_base_url: str = Field("http://127.0.0.1:3000", alias="PUBLIC_BASE_URL")
    mail_from: str = Field("facturas@postventa.local", alias="MAIL_FROM")
    secrets_prefix: str = Field("postventa", alias="SECRETS_PREFIX")
    max_webhook_body_bytes: int = Field(256 * 1024, alias="MAX_WEBHOOK_BODY_BYTES")
    form_token_ttl_days: int = Field(7, alias="FORM_TOKEN_TTL_DAYS")

    model_config = {"populate_by_name": True}


@functools.cache
def get_settings() -> Settings:
    return Settings.model_validate({k: v for k, v in os.environ.items() if v != ""})


def reset_settings() -> None:
    get_settings.cache_clear()
