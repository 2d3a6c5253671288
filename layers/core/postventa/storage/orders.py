"""Orders in DynamoDB: every method takes the order's tenant and only builds keys under it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from postventa.domain.clock import iso
from postventa.domain.orders import Order, OrderRecord, OrderRef
from postventa.domain.ports import Clock, HistoryEntry, NumberedOrder, OrderPage
from postventa.domain.self_invoice import order_number_key
from postventa.domain.status import OrderStatus, Transition
from postventa.errors import BadRequestError
from postventa.storage import keys
from postventa.storage.table import conditional

# OrderRecord fields a service may set besides the status (everything else is the table's).
_NOTE_FIELDS = frozenset(OrderRecord.model_fields) - {
    "order",
    "status",
    "status_changed_at",
    "created_at",
    "updated_at",
}

# One number is used by at most one order per channel; more is not a lookup worth paging.
_MAX_SAME_NUMBER = 10


def record_from_item(item: Mapping[str, Any]) -> OrderRecord:
    return OrderRecord(
        order=Order.model_validate(item["order"]),
        status=OrderStatus(item["status"]),
        status_changed_at=str(item["gsi2sk"]),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        fiscal_data=dict(item["fiscal_data"]) if item.get("fiscal_data") else None,
        billing_data_at=item.get("billing_data_at"),
        billing_request_skipped=item.get("billing_request_skipped"),
        reminder_sent_at=item.get("reminder_sent_at"),
        error_code=item.get("error_code"),
        error_reason=item.get("error_reason"),
    )


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - _NOTE_FIELDS
    if unknown:
        raise ValueError(f"not order record fields: {sorted(unknown)}")


class DynamoOrders:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def add(self, order: Order) -> bool:
        at = iso(self._clock.now())
        channel = order.channel.value
        item: dict[str, Any] = {
            **keys.order_key(order.tenant_id, channel, order.order_id),
            "gsi1pk": keys.orders_index_pk(order.tenant_id),
            "gsi1sk": keys.orders_index_sk(order.paid_at.isoformat(), channel, order.order_id),
            "gsi2pk": keys.status_index_pk(order.tenant_id, OrderStatus.RECEIVED.value),
            "gsi2sk": at,
            "gsi3pk": keys.order_number_index_pk(
                order.tenant_id, order_number_key(order.display_number)
            ),
            "gsi3sk": keys.order_number_index_sk(channel, order.order_id),
            "type": "order",
            "tenant_id": order.tenant_id,
            "channel": channel,
            "order_id": order.order_id,
            "order_number": order.display_number,
            "total_paid": Decimal(order.total_paid),
            "status": OrderStatus.RECEIVED.value,
            "order": order.model_dump(mode="json"),
            "created_at": at,
            "updated_at": at,
        }
        return conditional(
            lambda: self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        )

    def get(self, ref: OrderRef) -> OrderRecord | None:
        item = self._table.get_item(Key=_key(ref), ConsistentRead=True).get("Item")
        return record_from_item(item) if item else None

    def list_recent(self, tenant_id: str, limit: int, cursor: str | None = None) -> OrderPage:
        index_pk = keys.orders_index_pk(tenant_id)
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": index_pk},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, tenant_id)
        page = self._table.query(**kwargs)
        last = page.get("LastEvaluatedKey")
        return OrderPage(
            orders=[record_from_item(i) for i in page.get("Items", [])],
            next_cursor=_encode_cursor(last) if last else None,
        )

    def list_by_status(self, tenant_id: str, status: OrderStatus) -> Iterator[OrderRecord]:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": {":p": keys.status_index_pk(tenant_id, status.value)},
        }
        while True:
            page = self._table.query(**kwargs)
            yield from (record_from_item(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def find_by_number(self, tenant_id: str, number_key: str) -> list[NumberedOrder]:
        """One query on gsi3, whatever it finds: the index holds the total beside the keys, so
        "no such number" and "wrong total" cost the portal the same work."""
        page = self._table.query(
            IndexName="gsi3",
            KeyConditionExpression="gsi3pk = :p",
            ExpressionAttributeValues={":p": keys.order_number_index_pk(tenant_id, number_key)},
            Limit=_MAX_SAME_NUMBER,
        )
        return [
            NumberedOrder(
                ref=OrderRef(tenant_id=tenant_id, channel=i["channel"], order_id=i["order_id"]),
                total_paid=Decimal(i["total_paid"]),
            )
            for i in page.get("Items", [])
            if i.get("tenant_id") == tenant_id
        ]

    def apply(
        self, ref: OrderRef, transition: Transition, *, extra: Mapping[str, Any] | None = None
    ) -> bool:
        extra = dict(extra or {})
        _check_fields(extra)
        at = iso(self._clock.now())
        names = {"#s": "status"}
        values: dict[str, Any] = {
            ":to": transition.target.value,
            ":idx": keys.status_index_pk(ref.tenant_id, transition.target.value),
            ":at": at,
        }
        sets = ["#s = :to", "gsi2pk = :idx", "gsi2sk = :at", "updated_at = :at"]
        for i, (name, value) in enumerate(extra.items()):
            names[f"#x{i}"] = name
            values[f":x{i}"] = value
            sets.append(f"#x{i} = :x{i}")
        sources = sorted(s.value for s in transition.sources)
        for i, status in enumerate(sources):
            values[f":f{i}"] = status
        allowed = ", ".join(f":f{i}" for i in range(len(sources)))
        return conditional(
            lambda: self._table.update_item(
                Key=_key(ref),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"attribute_exists(pk) AND #s IN ({allowed})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        )

    def note(self, ref: OrderRef, **fields: Any) -> None:
        _check_fields(fields)
        fields["updated_at"] = iso(self._clock.now())
        names = {f"#a{i}": k for i, k in enumerate(fields)}
        vals = {f":a{i}": v for i, v in enumerate(fields.values())}
        self._table.update_item(
            Key=_key(ref),
            UpdateExpression="SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(fields))),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=vals,
        )

    def claim_once(self, ref: OrderRef, marker: str, at: str) -> bool:
        _check_fields({marker: at})
        return conditional(
            lambda: self._table.update_item(
                Key=_key(ref),
                UpdateExpression="SET #m = :at",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#m)",
                ExpressionAttributeNames={"#m": marker},
                ExpressionAttributeValues={":at": at},
            )
        )

    def record_event(self, ref: OrderRef, entry: HistoryEntry) -> bool:
        item = {
            "pk": keys.order_pk(ref.tenant_id, ref.channel, ref.order_id),
            "sk": keys.order_event_sk(entry.at, entry.event_id),
            "type": "order_event",
            "tenant_id": ref.tenant_id,
            **entry.model_dump(),
        }
        return conditional(
            lambda: self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        )

    def history(self, ref: OrderRef) -> list[HistoryEntry]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :e)",
            "ExpressionAttributeValues": {
                ":p": keys.order_pk(ref.tenant_id, ref.channel, ref.order_id),
                ":e": keys.ORDER_EVENT_PREFIX,
            },
        }
        entries: list[HistoryEntry] = []
        while True:
            page = self._table.query(**kwargs)
            entries.extend(
                HistoryEntry(
                    event_type=i["event_type"],
                    at=i["at"],
                    event_id=i["event_id"],
                    detail=dict(i.get("detail") or {}),
                )
                for i in page.get("Items", [])
            )
            if "LastEvaluatedKey" not in page:
                return entries
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _key(ref: OrderRef) -> dict[str, str]:
    return keys.order_key(ref.tenant_id, ref.channel, ref.order_id)


def _encode_cursor(last_key: Mapping[str, Any]) -> str:
    raw = json.dumps({k: str(v) for k, v in last_key.items()}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, tenant_id: str) -> dict[str, str]:
    """The page's start key; refused unless it lies in the caller's own listing (a cursor is
    opaque to the seller, but a tampered one must never reach another tenant's orders)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error):
        raise BadRequestError("El cursor de paginación no es válido.") from None
    expected = {"pk", "sk", "gsi1pk", "gsi1sk"}
    if (
        not isinstance(key, dict)
        or set(key) != expected
        or not all(isinstance(v, str) for v in key.values())
        or key["gsi1pk"] != keys.orders_index_pk(tenant_id)
        or not key["pk"].startswith(keys.tenant_pk(tenant_id) + "#")
    ):
        raise BadRequestError("El cursor de paginación no es válido.")
    return key
