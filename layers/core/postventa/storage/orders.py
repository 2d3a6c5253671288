"""Orders in DynamoDB: every method takes the order's tenant and only builds keys under it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from postventa.domain.clock import iso
from postventa.domain.orders import Order, OrderRecord, OrderRef
from postventa.domain.ports import Clock, HistoryEntry, NumberedOrder, OrderPage
from postventa.domain.self_invoice import order_number_key
from postventa.domain.status import OrderStatus, Transition
from postventa.storage import keys
from postventa.storage.table import conditional, decode_cursor, encode_cursor, newest_first

# Offsets channels give paid_at in (Mexico's zones, a marketplace's UTC) shift a day's bounds in
# the index's ISO text by at most this much: the key range is widened by it and the exact day is
# checked on the parsed time.
_OFFSET_SLACK = timedelta(hours=14)
# One page of filtered results reads at most this many items (then answers with what it found and
# a cursor to go on): no request turns into a scan of the tenant's orders.
_MAX_READS = 2_000

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
    fields = {k: v for k, v in item.items() if k in _NOTE_FIELDS}
    return OrderRecord.model_validate(
        {
            **fields,
            "order": item["order"],
            "status": item["status"],
            "status_changed_at": str(item["gsi2sk"]),
            "created_at": str(item["created_at"]),
            "updated_at": str(item["updated_at"]),
        }
    )


def _stored(value: Any) -> Any:
    """A field's value as DynamoDB stores it (models as maps, lists of models as lists of maps;
    no floats)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list):
        return [_stored(v) for v in value]
    return value


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
        return self._page("gsi1", keys.orders_index_pk(tenant_id), tenant_id, limit, cursor)

    def list_in_status(
        self, tenant_id: str, status: OrderStatus, limit: int, cursor: str | None = None
    ) -> OrderPage:
        index_pk = keys.status_index_pk(tenant_id, status.value)
        return self._page("gsi2", index_pk, tenant_id, limit, cursor)

    def _page(
        self, index: str, index_pk: str, tenant_id: str, limit: int, cursor: str | None
    ) -> OrderPage:
        items, next_cursor = newest_first(
            self._table,
            index=index,
            index_pk=index_pk,
            pk_prefix=keys.tenant_pk(tenant_id) + "#",
            limit=limit,
            cursor=cursor,
        )
        return OrderPage(orders=[record_from_item(i) for i in items], next_cursor=next_cursor)

    def search(
        self,
        tenant_id: str,
        *,
        status: OrderStatus | None = None,
        channel: str | None = None,
        paid_from: datetime | None = None,
        paid_to: datetime | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> OrderPage:
        """A page of the tenant's orders matching every filter given. A status alone reads its
        own index (most recently changed first); otherwise the paid-date index (newest paid
        first) within the dates. Other filters are checked on what the key range gives, at most
        _MAX_READS items per page: a page may come back short, with a cursor to go on."""
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        if status is not None and paid_from is None and paid_to is None:
            index, index_pk = "gsi2", keys.status_index_pk(tenant_id, status.value)
            condition = "gsi2pk = :p"
        else:
            index, index_pk = "gsi1", keys.orders_index_pk(tenant_id)
            low = (paid_from - _OFFSET_SLACK).isoformat() if paid_from else "0"
            high = (paid_to + _OFFSET_SLACK).isoformat() + "~" if paid_to else "~"
            condition = "gsi1pk = :p AND gsi1sk BETWEEN :low AND :high"
            values.update({":low": low, ":high": high})
        values[":p"] = index_pk
        filters = []
        if status is not None and index == "gsi1":
            filters.append("#s = :s")
            names["#s"], values[":s"] = "status", status.value
        if channel is not None:
            filters.append("channel = :c")
            values[":c"] = channel
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": min(max(limit * 4, 50), 500),
        }
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(
                cursor, index_pk=index_pk, pk_prefix=keys.tenant_pk(tenant_id) + "#", index=index
            )
        found: list[OrderRecord] = []
        read = 0
        while True:
            page = self._table.query(**kwargs)
            read += int(page.get("ScannedCount", 0))
            for item in page.get("Items", []):
                record = record_from_item(item)
                if not _paid_within(record, paid_from, paid_to):
                    continue
                found.append(record)
                if len(found) == limit:
                    last = {k: item[k] for k in ("pk", "sk", f"{index}pk", f"{index}sk")}
                    return OrderPage(orders=found, next_cursor=encode_cursor(last))
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return OrderPage(orders=found)
            if read >= _MAX_READS:
                return OrderPage(orders=found, next_cursor=encode_cursor(last_key))
            kwargs["ExclusiveStartKey"] = last_key

    def list_by_status(
        self, tenant_id: str, status: OrderStatus, *, since: str | None = None
    ) -> Iterator[OrderRecord]:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": {":p": keys.status_index_pk(tenant_id, status.value)},
        }
        if since is not None:  # gsi2sk is when the order entered the status
            kwargs["KeyConditionExpression"] += " AND gsi2sk >= :since"
            kwargs["ExpressionAttributeValues"][":since"] = since
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
        update = self._transition_update(ref, transition, extra)
        return conditional(lambda: self._table.update_item(**update))

    def apply_many(
        self,
        refs: Sequence[OrderRef],
        transition: Transition,
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> list[OrderRef]:
        """One conditional UpdateItem per order, several at a time (the table's client is
        thread-safe). Not TransactWriteItems: a transaction costs twice the writes, fails whole
        when one order moved on, and the local cloud's moto copies the whole table for each."""
        from concurrent.futures import ThreadPoolExecutor

        client = self._table.meta.client
        name = self._table.name

        def move(ref: OrderRef) -> bool:
            update = self._transition_update(ref, transition, extra)
            return conditional(lambda: client.update_item(TableName=name, **update))

        if len(refs) <= 1:
            return [r for r in refs if move(r)]
        with ThreadPoolExecutor(max_workers=_CONCURRENT_WRITES) as pool:
            moved = list(pool.map(move, refs))
        return [ref for ref, ok in zip(refs, moved, strict=True) if ok]

    def _transition_update(
        self, ref: OrderRef, transition: Transition, extra: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The conditional UpdateItem arguments that move one order along `transition`."""
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
        removes = []
        for i, (name, value) in enumerate(extra.items()):
            names[f"#x{i}"] = name
            if value is None:  # a field set to None is cleared
                removes.append(f"#x{i}")
                continue
            values[f":x{i}"] = _stored(value)
            sets.append(f"#x{i} = :x{i}")
        sources = sorted(s.value for s in transition.sources)
        for i, status in enumerate(sources):
            values[f":f{i}"] = status
        allowed = ", ".join(f":f{i}" for i in range(len(sources)))
        return {
            "Key": _key(ref),
            "UpdateExpression": "SET "
            + ", ".join(sets)
            + (" REMOVE " + ", ".join(removes) if removes else ""),
            "ConditionExpression": f"attribute_exists(pk) AND #s IN ({allowed})",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def note(self, ref: OrderRef, **fields: Any) -> None:
        _check_fields(fields)
        fields["updated_at"] = iso(self._clock.now())
        names, sets, removes, vals = {}, [], [], {}
        for i, (name, value) in enumerate(fields.items()):
            names[f"#a{i}"] = name
            if value is None:  # a field set to None is cleared
                removes.append(f"#a{i}")
            else:
                vals[f":a{i}"] = _stored(value)
                sets.append(f"#a{i} = :a{i}")
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        self._table.update_item(
            Key=_key(ref),
            UpdateExpression=expression,
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
        item = _event_item(ref, entry)
        return conditional(
            lambda: self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        )

    def record_events(self, entries: Sequence[tuple[OrderRef, HistoryEntry]]) -> None:
        """BatchWriteItem, 25 entries a call, several calls at a time (a global invoice writes
        one entry per order of the period)."""
        from concurrent.futures import ThreadPoolExecutor

        from boto3.dynamodb.table import BatchWriter

        items = [_event_item(ref, entry) for ref, entry in entries]
        chunks = [items[i : i + 500] for i in range(0, len(items), 500)]
        client, name = self._table.meta.client, self._table.name  # the client is thread-safe

        def write(chunk: list[dict[str, Any]]) -> None:
            with BatchWriter(name, client, overwrite_by_pkeys=["pk", "sk"]) as batch:
                for item in chunk:
                    batch.put_item(Item=item)

        if len(chunks) <= 1:
            for chunk in chunks:
                write(chunk)
            return
        with ThreadPoolExecutor(max_workers=_CONCURRENT_WRITES) as pool:
            list(pool.map(write, chunks))

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


def _paid_within(record: OrderRecord, paid_from: datetime | None, paid_to: datetime | None) -> bool:
    paid = record.order.paid_at
    return (paid_from is None or paid >= paid_from) and (paid_to is None or paid < paid_to)


def _event_item(ref: OrderRef, entry: HistoryEntry) -> dict[str, Any]:
    return {
        "pk": keys.order_pk(ref.tenant_id, ref.channel, ref.order_id),
        "sk": keys.order_event_sk(entry.at, entry.event_id),
        "type": "order_event",
        "tenant_id": ref.tenant_id,
        **entry.model_dump(),
    }


# Conditional writes in flight at once when many orders move together (a global invoice's claim).
_CONCURRENT_WRITES = 16
