"""Webhook payloads too large for an SQS message, kept in the documents bucket (claim check).

Key layout: `webhooks/{tenant}/{channel}/{yyyy}/{mm}/{dd}/{uuid}.json`.
`webhooks/` leads so that one S3 lifecycle rule (prefixes only, no wildcards) expires every
tenant's payloads; the tenant is the next segment, so a tenant's payloads are one prefix and a key
always names its tenant. Tenant ids never contain `/` (the webhook route refuses them), so
`webhooks/{tenant}/` can never be a prefix of another tenant's keys. Only our functions read the
bucket (IAM, public access blocked); ingest refuses a key outside the message's tenant prefix.
Bucket encryption (SSE-S3) applies to every object; nothing here deletes: the lifecycle rule in
template.yaml does (docs/decisions/0001-single-table.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

WEBHOOKS_PREFIX = "webhooks/"


class PayloadKeyError(ValueError):
    """A claim-check key that does not belong to the tenant of the message carrying it."""


def tenant_webhooks_prefix(tenant_id: str) -> str:
    if not tenant_id or "/" in tenant_id:
        raise PayloadKeyError("tenant id cannot be part of an S3 key")
    return f"{WEBHOOKS_PREFIX}{tenant_id}/"


def webhook_payload_key(
    tenant_id: str, channel: str, received_at: datetime, payload_id: str | None = None
) -> str:
    """Where one webhook's raw body is kept: tenant and channel lead, then the UTC day."""
    if not channel or "/" in channel:
        raise PayloadKeyError("channel cannot be part of an S3 key")
    name = payload_id or uuid.uuid4().hex
    return f"{tenant_webhooks_prefix(tenant_id)}{channel}/{received_at:%Y/%m/%d}/{name}.json"


class S3Payloads:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, tenant_id: str, channel: str, raw_body: bytes, received_at: datetime) -> str:
        """Store the verified raw body as received (byte for byte); returns its key."""
        key = webhook_payload_key(tenant_id, channel, received_at)
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=raw_body,
            ContentType="application/json; charset=utf-8",
        )
        return key

    def get(self, tenant_id: str, key: str) -> bytes:
        """The raw body under `key`, which must lie under the tenant's own webhooks prefix."""
        if not key.startswith(tenant_webhooks_prefix(tenant_id)) or "/../" in f"/{key}/":
            raise PayloadKeyError("payload key outside the tenant's prefix")
        body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return body
