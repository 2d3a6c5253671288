"""Sellers' billing-request templates: one item per tenant and channel in the tenant's partition."""

from __future__ import annotations

from typing import Any

from postventa.domain.messages import MessageTemplate, TemplateBody
from postventa.storage import keys
from postventa.storage.table import conditional

_BODY_FIELDS = tuple(TemplateBody.model_fields)


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

    def get(self, tenant_id: str, channel: str) -> MessageTemplate | None:
        item = self._table.get_item(
            Key=keys.billing_message_key(tenant_id, channel), ConsistentRead=True
        ).get("Item")
        return _template(item) if item else None

    def list(self, tenant_id: str) -> list[MessageTemplate]:
        found: list[MessageTemplate] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":p": keys.tenant_pk(tenant_id),
                ":prefix": keys.BILLING_MESSAGE_PREFIX,
            },
            "ConsistentRead": True,
        }
        while True:
            page = self._table.query(**kwargs)
            found.extend(_template(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put(self, template: MessageTemplate) -> None:
        self._table.put_item(
            Item={
                **keys.billing_message_key(template.tenant_id, template.channel.value),
                "type": "message_template",
                "tenant_id": template.tenant_id,
                "channel": template.channel.value,
                "updated_at": template.updated_at,
                **template.body.model_dump(exclude_none=True),
            }
        )

    def delete(self, tenant_id: str, channel: str) -> bool:
        return conditional(
            lambda: self._table.delete_item(
                Key=keys.billing_message_key(tenant_id, channel),
                ConditionExpression="attribute_exists(pk)",
            )
        )
