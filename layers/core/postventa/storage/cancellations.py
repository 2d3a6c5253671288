"""Cancellations in DynamoDB, one item per cancelled CFDI (`T#{tenant}#CANCEL#{uuid}`, `CANCEL`).

While a cancellation is not final it is listed in gsi1 under `T#{tenant}#CANCELS#OPEN` (oldest
request first), which the scheduled check reads; the final write drops those attributes. Every
write is conditional on the version read, so the seller's request being processed and the
scheduled check never overwrite each other.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from postventa.domain.cancellations import InvoiceCancellation
from postventa.storage import keys
from postventa.storage.table import conditional


def _model(item: dict[str, Any]) -> InvoiceCancellation:
    return InvoiceCancellation.model_validate(item)


class DynamoCancellations:
    def __init__(self, table: Any) -> None:
        self._table = table

    def _item(self, cancellation: InvoiceCancellation) -> dict[str, Any]:
        item = {
            **keys.cancellation_key(cancellation.tenant_id, cancellation.uuid),
            "type": "cancellation",
            **cancellation.model_dump(mode="json", exclude_none=True),
        }
        if not cancellation.state.is_final:
            item["gsi1pk"] = keys.open_cancellations_index_pk(cancellation.tenant_id)
            item["gsi1sk"] = f"{cancellation.requested_at}#{cancellation.uuid}"
        return item

    def open(self, cancellation: InvoiceCancellation) -> InvoiceCancellation:
        stored = conditional(
            lambda: self._table.put_item(
                Item=self._item(cancellation), ConditionExpression="attribute_not_exists(pk)"
            )
        )
        if stored:
            return cancellation
        existing = self.get(cancellation.tenant_id, cancellation.uuid)
        if existing is None:  # deleted in between: never by this product
            raise RuntimeError("cancellation vanished while being opened")
        return existing

    def get(self, tenant_id: str, uuid: str) -> InvoiceCancellation | None:
        item = self._table.get_item(
            Key=keys.cancellation_key(tenant_id, uuid), ConsistentRead=True
        ).get("Item")
        return _model(item) if item else None

    def unfinished(self, tenant_id: str) -> list[InvoiceCancellation]:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": Key("gsi1pk").eq(keys.open_cancellations_index_pk(tenant_id)),
        }
        found: list[InvoiceCancellation] = []
        while True:
            page = self._table.query(**kwargs)
            found.extend(_model(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return [c for c in found if not c.state.is_final]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def save(self, cancellation: InvoiceCancellation) -> bool:
        read = cancellation.version
        item = self._item(cancellation.model_copy(update={"version": read + 1}))
        written = conditional(
            lambda: self._table.put_item(
                Item=item,
                ConditionExpression="attribute_exists(pk) AND version = :v",
                ExpressionAttributeValues={":v": read},
            )
        )
        if written:
            cancellation.version = read + 1  # the caller goes on with what is stored
        return written
