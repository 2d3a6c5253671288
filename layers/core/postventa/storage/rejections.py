"""Signed deliveries that could not become orders, listed for the seller (newest first)."""

from __future__ import annotations

import uuid
from typing import Any

from postventa.domain.clock import epoch, parse_iso
from postventa.domain.ports import RejectedWebhook
from postventa.storage import keys

_KEEP_SECONDS = 90 * 24 * 3600  # as long as the raw payloads (the bucket's lifecycle rule)


class DynamoRejections:
    def __init__(self, table: Any) -> None:
        self._table = table

    def add(self, rejected: RejectedWebhook) -> None:
        self._table.put_item(
            Item={
                "pk": keys.rejected_webhooks_pk(rejected.tenant_id),
                "sk": f"{rejected.received_at}#{uuid.uuid4().hex}",
                "type": "rejected_webhook",
                "expires_at": epoch(parse_iso(rejected.received_at)) + _KEEP_SECONDS,
                **rejected.model_dump(exclude_none=True),
            }
        )

    def list_recent(self, tenant_id: str, limit: int) -> list[RejectedWebhook]:
        page = self._table.query(
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": keys.rejected_webhooks_pk(tenant_id)},
            ScanIndexForward=False,
            Limit=limit,
        )
        fields = set(RejectedWebhook.model_fields)
        return [
            RejectedWebhook.model_validate({k: v for k, v in i.items() if k in fields})
            for i in page.get("Items", [])
        ]
