"""Customers in the single table (decision 0017): the record, its audit trail and its orders in
one item collection per customer; uniqueness items for the RFC and the primary email; and one
small index item per searchable value, so every search is a prefix query on one partition.

A save is one transaction: the record (conditional on its version), the audit entry (conditional
on not existing: a mass update re-run after a crash finds its entry and skips), the uniqueness
items that change, and the index items that change. Either all of it happens or none.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from postventa.domain.customers import (
    GENERIC_RFCS,
    AuditEntry,
    Customer,
    CustomerJob,
    CustomerOrder,
    SaveOutcome,
    index_terms,
    sort_key,
)
from postventa.storage import keys
from postventa.storage.table import conditional

_CUSTOMER_FIELDS = frozenset(Customer.model_fields)
_M = TypeVar("_M", bound=BaseModel)
_MAX_TRANSACTION = 100


def _clean(value: str) -> str:
    """Index values never carry the key's separator."""
    return value.replace("#", " ")


def _entry_sk(customer: Customer, field: str, value: str) -> str:
    name = _clean(sort_key(customer))
    if field == "orden":
        return f"{name}#{customer.customer_id}"
    return f"{_clean(value)}#{name}#{customer.customer_id}"


def index_entries(customer: Customer) -> set[tuple[str, str]]:
    """(partition key, sort key) of every index item of the customer (the tests' fake keeps the
    same keys, so its searches come back in the same order)."""
    return {
        (
            keys.customer_index_pk(customer.tenant_id, customer.active, field),
            _entry_sk(customer, field, value),
        )
        for field, value in index_terms(customer)
    }


def _item(customer: Customer) -> dict[str, Any]:
    return {
        "pk": keys.customer_pk(customer.tenant_id, customer.customer_id),
        "sk": keys.CUSTOMER_SK,
        "type": "customer",
        **customer.model_dump(mode="json"),
        "unpaid_total": Decimal(str(customer.unpaid_total)),
        "credit": Decimal(str(customer.credit)),
    }


def _customer(item: dict[str, Any]) -> Customer:
    return Customer.model_validate({k: v for k, v in item.items() if k in _CUSTOMER_FIELDS})


class DynamoCustomers:
    def __init__(self, table: Any) -> None:
        self._table = table

    @property
    def _client(self) -> Any:
        return self._table.meta.client

    # ------------------------------------------------------------ reading
    def next_id(self, tenant_id: str) -> str:
        answer = self._table.update_item(
            Key=keys.customer_counter_key(tenant_id),
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        return str(int(answer["Attributes"]["n"]))

    def get(self, tenant_id: str, customer_id: str) -> Customer | None:
        item = self._table.get_item(
            Key={"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.CUSTOMER_SK},
            ConsistentRead=True,
        ).get("Item")
        return _customer(item) if item else None

    def holder(self, tenant_id: str, kind: str, value: str) -> str | None:
        """The customer id holding an RFC ("RFC") or a primary email ("EMAIL"), if any."""
        item = self._table.get_item(
            Key=keys.customer_unique_key(tenant_id, kind, value), ConsistentRead=True
        ).get("Item")
        return str(item["customer_id"]) if item else None

    def get_many(self, tenant_id: str, customer_ids: list[str]) -> list[Customer]:
        """The customers, in the order asked (missing ones left out); 100 per BatchGetItem."""
        found: dict[str, Customer] = {}
        table = self._table.name
        for start in range(0, len(customer_ids), 100):
            wanted = list(dict.fromkeys(customer_ids[start : start + 100]))
            request: dict[str, Any] = {
                table: {
                    "Keys": [
                        {"pk": keys.customer_pk(tenant_id, cid), "sk": keys.CUSTOMER_SK}
                        for cid in wanted
                    ]
                }
            }
            while request:  # the resource's client (de)serializes items itself
                answer = self._client.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(table, []):
                    customer = _customer(raw)
                    found[customer.customer_id] = customer
                request = answer.get("UnprocessedKeys") or {}
        return [found[c] for c in customer_ids if c in found]

    def index_page(
        self,
        tenant_id: str,
        active: bool,
        field: str,
        value: str,
        *,
        exact: bool = False,
        limit: int,
        start_after: str | None = None,
    ) -> tuple[list[tuple[str, str]], str | None]:
        """(sort key, customer id) of index items whose value starts with `value` (or is it,
        `exact`), in order; and the last sort key when there may be more."""
        prefix = _clean(value) + ("#" if exact else "")
        pk = keys.customer_index_pk(tenant_id, active, field)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": pk},
            "Limit": limit,
        }
        if prefix:  # the whole partition has no prefix (begins_with "" is not allowed)
            kwargs["KeyConditionExpression"] += " AND begins_with(sk, :v)"
            kwargs["ExpressionAttributeValues"][":v"] = prefix
        if start_after:
            kwargs["ExclusiveStartKey"] = {"pk": pk, "sk": start_after}
        page = self._table.query(**kwargs)
        rows = [(str(i["sk"]), str(i["customer_id"])) for i in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return rows, (str(last["sk"]) if last else None)

    def audit(self, tenant_id: str, customer_id: str, limit: int = 100) -> list[AuditEntry]:
        return self._newest(tenant_id, customer_id, keys.CUSTOMER_AUDIT_PREFIX, AuditEntry, limit)

    def _newest(
        self, tenant_id: str, customer_id: str, prefix: str, model: type[_M], limit: int
    ) -> list[_M]:
        """The newest items of one kind in the customer's collection (audit, orders)."""
        page = self._table.query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
            ExpressionAttributeValues={
                ":p": keys.customer_pk(tenant_id, customer_id),
                ":k": prefix,
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        fields = set(model.model_fields)
        return [
            model.model_validate({k: v for k, v in i.items() if k in fields})
            for i in page.get("Items", [])
        ]

    def has_audit_entry(self, tenant_id: str, customer_id: str, at: str, change_id: str) -> bool:
        key = {
            "pk": keys.customer_pk(tenant_id, customer_id),
            "sk": f"{keys.CUSTOMER_AUDIT_PREFIX}{at}#{change_id}",
        }
        return "Item" in self._table.get_item(Key=key, ConsistentRead=True)

    def orders(self, tenant_id: str, customer_id: str, limit: int = 100) -> list[CustomerOrder]:
        return self._newest(
            tenant_id, customer_id, keys.CUSTOMER_ORDER_PREFIX, CustomerOrder, limit
        )

    # ------------------------------------------------------------ writing
    def save(self, customer: Customer, previous: Customer | None, audit: AuditEntry) -> SaveOutcome:
        """Record, audit entry, uniqueness and index items in one transaction."""
        tenant = customer.tenant_id
        pk = keys.customer_pk(tenant, customer.customer_id)
        ops: list[dict[str, Any]] = []
        record: dict[str, Any] = {
            "TableName": self._table.name,
            "Item": (_item(customer)),
        }
        if previous is None:
            record["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            record["ConditionExpression"] = "version = :v"
            record["ExpressionAttributeValues"] = {":v": previous.version}
        ops.append({"Put": record})
        audit_item = {
            "pk": pk,
            "sk": f"{keys.CUSTOMER_AUDIT_PREFIX}{audit.at}#{audit.change_id}",
            "type": "customer_audit",
            **audit.model_dump(mode="json"),
        }
        ops.append(
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": (audit_item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        roles = ["record", "audit"]
        for kind, old, new in (
            ("RFC", previous.rfc if previous else None, customer.rfc),
            (
                "EMAIL",
                previous.email.lower() if previous and previous.email else None,
                customer.email.lower() or None,
            ),
        ):
            if kind == "RFC" and customer.rfc in GENERIC_RFCS:
                continue
            if old == new:
                continue
            if old:
                ops.append({"Delete": self._unique_op(tenant, kind, old, customer.customer_id)})
                roles.append("unique_old")
            if new:
                ops.append(
                    {
                        "Put": {
                            "TableName": self._table.name,
                            "Item": (
                                {
                                    **keys.customer_unique_key(tenant, kind, new),
                                    "customer_id": customer.customer_id,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk) OR customer_id = :me",
                            "ExpressionAttributeValues": ({":me": customer.customer_id}),
                        }
                    }
                )
                roles.append("rfc" if kind == "RFC" else "email")
        old_entries = index_entries(previous) if previous else set()
        new_entries = index_entries(customer)
        for entry_pk, entry_sk in sorted(old_entries - new_entries):
            ops.append(
                {
                    "Delete": {
                        "TableName": self._table.name,
                        "Key": ({"pk": entry_pk, "sk": entry_sk}),
                    }
                }
            )
            roles.append("index")
        for entry_pk, entry_sk in sorted(new_entries - old_entries):
            ops.append(
                {
                    "Put": {
                        "TableName": self._table.name,
                        "Item": (
                            {"pk": entry_pk, "sk": entry_sk, "customer_id": customer.customer_id}
                        ),
                    }
                }
            )
            roles.append("index")
        if len(ops) > _MAX_TRANSACTION:
            raise ValueError("a customer save needs more writes than one transaction holds")
        try:
            self._client.transact_write_items(TransactItems=ops)
        except self._client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or []
            failed = [
                roles[i]
                for i, reason in enumerate(reasons)
                if reason.get("Code") == "ConditionalCheckFailed"
            ]
            if "audit" in failed:
                return "ya_aplicado"
            if "record" in failed:
                return "conflicto_version"
            if "rfc" in failed:
                return "rfc_ocupado"
            if "email" in failed:
                return "email_ocupado"
            raise
        return "guardado"

    def _unique_op(self, tenant_id: str, kind: str, value: str, customer_id: str) -> dict[str, Any]:
        return {
            "TableName": self._table.name,
            "Key": (keys.customer_unique_key(tenant_id, kind, value)),
            "ConditionExpression": "customer_id = :me",
            "ExpressionAttributeValues": ({":me": customer_id}),
        }

    def link_order(self, tenant_id: str, customer_id: str, order: CustomerOrder) -> bool:
        """Keep one of the customer's orders; False when it was already there."""
        item = {
            "pk": keys.customer_pk(tenant_id, customer_id),
            "sk": f"{keys.CUSTOMER_ORDER_PREFIX}{order.paid_at}#{order.channel}#{order.order_id}",
            "type": "customer_order",
            **order.model_dump(mode="json", exclude_none=True),
        }
        return conditional(
            lambda: self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        )

    def record_invoice(self, tenant_id: str, customer_id: str, order: CustomerOrder) -> bool:
        """The order's invoice on its link and one more invoice on the customer, once per
        invoice (a redelivered event changes nothing)."""
        link_key = {
            "pk": keys.customer_pk(tenant_id, customer_id),
            "sk": f"{keys.CUSTOMER_ORDER_PREFIX}{order.paid_at}#{order.channel}#{order.order_id}",
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table.name,
                            "Item": (
                                {
                                    **link_key,
                                    "type": "customer_order",
                                    **order.model_dump(mode="json", exclude_none=True),
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(invoice_uuid)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table.name,
                            "Key": (
                                {
                                    "pk": keys.customer_pk(tenant_id, customer_id),
                                    "sk": keys.CUSTOMER_SK,
                                }
                            ),
                            "UpdateExpression": "ADD invoice_count :one",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": ({":one": 1}),
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException:
            return False
        return True

    # ------------------------------------------------------------ background jobs
    def put_job(self, job: CustomerJob) -> None:
        self._table.put_item(
            Item={
                **keys.customer_job_key(job.tenant_id, job.job_id),
                "type": "customer_job",
                **job.model_dump(mode="json", exclude_none=True),
            }
        )

    def get_job(self, tenant_id: str, job_id: str) -> CustomerJob | None:
        item = self._table.get_item(
            Key=keys.customer_job_key(tenant_id, job_id), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        fields = set(CustomerJob.model_fields)
        return CustomerJob.model_validate({k: v for k, v in item.items() if k in fields})
