"""Orders of one tenant: every function takes tenant_id and only ever builds keys under it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from postventa.domain.orders import Order, OrderStatus
from postventa.storage import keys
from postventa.storage.table import is_conditional_failure, now_iso, table


class StoredOrder:
    """An order as stored: the normalized order plus its billing state."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self.order = Order.model_validate(item["order"])
        self.status = OrderStatus(item["status"])

    @property
    def fiscal_data(self) -> dict[str, Any] | None:
        value = self.item.get("fiscal_data")
        return dict(value) if value else None

    def public_view(self) -> dict[str, Any]:
        """What the seller API returns (the seller's own data)."""
        view: dict[str, Any] = {
            "tenant_id": self.order.tenant_id,
            "channel": self.order.channel.value,
            "order_id": self.order.order_id,
            "order_number": self.order.display_number,
            "status": self.status.value,
            "order": self.order.model_dump(mode="json"),
            "created_at": self.item.get("created_at"),
            "updated_at": self.item.get("updated_at"),
        }
        for extra in ("billing_requested_at", "billing_data_at", "billing_request_skipped"):
            if extra in self.item:
                view[extra] = self.item[extra]
        if self.fiscal_data:
            view["fiscal_data"] = self.fiscal_data
        return view


def put_new_order(order: Order) -> bool:
    """Store the order once; False when it already exists (a redelivered webhook)."""
    at = now_iso()
    paid_at = order.paid_at.isoformat()
    item: dict[str, Any] = {
        **keys.order_key(order.tenant_id, order.channel.value, order.order_id),
        "gsi1pk": keys.orders_index_pk(order.tenant_id),
        "gsi1sk": keys.orders_index_sk(paid_at, order.channel.value, order.order_id),
        "gsi2pk": keys.status_index_pk(order.tenant_id, OrderStatus.RECEIVED.value),
        "gsi2sk": at,
        "type": "order",
        "tenant_id": order.tenant_id,
        "channel": order.channel.value,
        "order_id": order.order_id,
        "order_number": order.display_number,
        "total_paid": Decimal(order.total_paid),
        "status": OrderStatus.RECEIVED.value,
        "order": order.model_dump(mode="json"),
        "created_at": at,
        "updated_at": at,
    }
    try:
        table().put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except Exception as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def get_order(tenant_id: str, channel: str, order_id: str) -> StoredOrder | None:
    item = (
        table()
        .get_item(Key=keys.order_key(tenant_id, channel, order_id), ConsistentRead=True)
        .get("Item")
    )
    return StoredOrder(item) if item else None


def list_orders(tenant_id: str, limit: int = 50) -> list[StoredOrder]:
    page = table().query(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": keys.orders_index_pk(tenant_id)},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [StoredOrder(i) for i in page.get("Items", [])]


def list_orders_by_status(tenant_id: str, status: OrderStatus) -> list[StoredOrder]:
    out: list[StoredOrder] = []
    kwargs: dict[str, Any] = {
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :p",
        "ExpressionAttributeValues": {":p": keys.status_index_pk(tenant_id, status.value)},
    }
    while True:
        page = table().query(**kwargs)
        out.extend(StoredOrder(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def change_status(
    tenant_id: str,
    channel: str,
    order_id: str,
    *,
    to: OrderStatus,
    allowed_from: tuple[OrderStatus, ...],
    extra: dict[str, Any] | None = None,
) -> bool:
    """Conditional status transition; False when the order is not in an allowed state."""
    at = now_iso()
    names = {"#s": "status", "#u": "updated_at", "#p": "gsi2pk", "#k": "gsi2sk"}
    values: dict[str, Any] = {
        ":to": to.value,
        ":at": at,
        ":p": keys.status_index_pk(tenant_id, to.value),
    }
    sets = ["#s = :to", "#u = :at", "#p = :p", "#k = :at"]
    for i, (name, value) in enumerate((extra or {}).items()):
        names[f"#x{i}"] = name
        values[f":x{i}"] = value
        sets.append(f"#x{i} = :x{i}")
    allowed = []
    for i, status in enumerate(allowed_from):
        values[f":f{i}"] = status.value
        allowed.append(f":f{i}")
    try:
        table().update_item(
            Key=keys.order_key(tenant_id, channel, order_id),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=f"attribute_exists(pk) AND #s IN ({', '.join(allowed)})",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except Exception as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def set_attributes(tenant_id: str, channel: str, order_id: str, values: dict[str, Any]) -> None:
    """Unconditional bookkeeping attributes (e.g. why a billing request was not sent)."""
    names = {f"#a{i}": k for i, k in enumerate(values)}
    vals = {f":a{i}": v for i, v in enumerate(values.values())}
    sets = ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
    table().update_item(
        Key=keys.order_key(tenant_id, channel, order_id),
        UpdateExpression=f"SET {sets}",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=vals,
    )


def claim_once(tenant_id: str, channel: str, order_id: str, marker: str) -> bool:
    """Set `marker` to now if unset: True for the first caller only (e.g. one reminder ever)."""
    try:
        table().update_item(
            Key=keys.order_key(tenant_id, channel, order_id),
            UpdateExpression="SET #m = :at",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#m)",
            ExpressionAttributeNames={"#m": marker},
            ExpressionAttributeValues={":at": now_iso()},
        )
    except Exception as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def record_event(
    tenant_id: str,
    channel: str,
    order_id: str,
    *,
    event_type: str,
    at: str | None = None,
    event_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Append one history entry to the order (idempotent per event id)."""
    at = at or now_iso()
    event_id = event_id or uuid.uuid4().hex
    try:
        table().put_item(
            Item={
                "pk": keys.order_pk(tenant_id, channel, order_id),
                "sk": keys.order_event_sk(at, event_id),
                "type": "order_event",
                "tenant_id": tenant_id,
                "event_type": event_type,
                "event_id": event_id,
                "at": at,
                "detail": detail or {},
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
    except Exception as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def order_history(tenant_id: str, channel: str, order_id: str) -> list[dict[str, Any]]:
    page = table().query(
        KeyConditionExpression="pk = :p AND begins_with(sk, :e)",
        ExpressionAttributeValues={
            ":p": keys.order_pk(tenant_id, channel, order_id),
            ":e": "EVENT#",
        },
    )
    return [
        {"event_type": i["event_type"], "at": i["at"], "detail": i.get("detail", {})}
        for i in page.get("Items", [])
    ]
