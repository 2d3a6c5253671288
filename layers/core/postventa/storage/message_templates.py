"""Sellers' message templates: one item per tenant, kind (billing_request, shipping_notice) and
channel in the tenant's partition."""

from __future__ import annotations

from typing import Any

from postventa.domain.messages import MessageTemplate, TemplateBody
from postventa.storage import keys
from postventa.storage.table import conditional

_BODY_FIELDS = tuple(TemplateBody.model_fields)
BILLING = "billing_request"
_PREFIXES = {
    BILLING: keys.BILLING_MESSAGE_PREFIX,
    "shipping_notice": keys.SHIPPING_MESSAGE_PREFIX,
}


def _key(tenant_id: str, channel: str, kind: str) -> dict[str, str]:
    if kind == BILLING:
        return keys.billing_message_key(tenant_id, channel)
    if kind == "shipping_notice":
        return keys.shipping_message_key(tenant_id, channel)
    raise ValueError(f"unknown template kind {kind!r}")


def _template(item: dict[str, Any]) -> MessageTemplate:
    return MessageTemplate(
        tenant_id=str(item["tenant_id"]),
        channel=item["channel"],
        updated_at=str(item["updated_at"]),
        body=TemplateBody.model_validate({k: item[k] for k in _BODY_FIELDS if k in item}),
    )


class DynamoMessageTemplates:
    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, tenant_id: str, channel: str, kind: str = BILLING) -> MessageTemplate | None:
        item = self._table.get_item(Key=_key(tenant_id, channel, kind), ConsistentRead=True).get(
            "Item"
        )
        return _template(item) if item else None

    def list(self, tenant_id: str, kind: str = BILLING) -> list[MessageTemplate]:
        found: list[MessageTemplate] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":p": keys.tenant_pk(tenant_id),
                ":prefix": _PREFIXES[kind],
            },
            "ConsistentRead": True,
        }
        while True:
            page = self._table.query(**kwargs)
            found.extend(_template(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put(self, template: MessageTemplate, kind: str = BILLING) -> None:
        self._table.put_item(
            Item={
                **_key(template.tenant_id, template.channel.value, kind),
                "type": "message_template",
                "tenant_id": template.tenant_id,
                "channel": template.channel.value,
                "updated_at": template.updated_at,
                **template.body.model_dump(exclude_none=True),
            }
        )

    def delete(self, tenant_id: str, channel: str, kind: str = BILLING) -> bool:
        return conditional(
            lambda: self._table.delete_item(
                Key=_key(tenant_id, channel, kind),
                ConditionExpression="attribute_exists(pk)",
            )
        )
