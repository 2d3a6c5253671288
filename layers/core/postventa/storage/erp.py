"""The seller's ERP: its settings (DynamoDB), its signing secret (Secrets Manager) and the
delivery log (DynamoDB, kept 90 days by the table's TTL).

Secret name: `postventa/tenants/{tenant}/erp`, a JSON object `{"signing_secret": "..."}`, beside
the tenant's channel secrets and CSD, under the prefix the template's IAM policies grant.
"""

from __future__ import annotations

import json
from typing import Any

from postventa.domain.clock import epoch, parse_iso
from postventa.domain.erp import (
    SETTLED,
    AttemptOutcome,
    DeliveryStatus,
    ErpDelivery,
    ErpEndpoint,
)
from postventa.domain.ports import ErpDeliveryPage
from postventa.storage import keys
from postventa.storage.secrets import SECRETS_PREFIX, put_secret_string
from postventa.storage.table import conditional, is_conditional_failure, newest_first

KEEP_DELIVERIES_SECONDS = 90 * 24 * 3600


def erp_secret_name(tenant_id: str) -> str:
    return f"{SECRETS_PREFIX}/tenants/{tenant_id}/erp"


class DynamoErpEndpoints:
    def __init__(self, table: Any, secrets_client: Any) -> None:
        self._table = table
        self._secrets = secrets_client

    def get(self, tenant_id: str) -> ErpEndpoint | None:
        key = keys.erp_settings_key(tenant_id)
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        if not item:
            return None
        return ErpEndpoint.model_validate({k: item[k] for k in ErpEndpoint.model_fields})

    def put(self, endpoint: ErpEndpoint) -> None:
        self._table.put_item(
            Item={
                **keys.erp_settings_key(endpoint.tenant_id),
                "type": "erp_settings",
                **endpoint.model_dump(),
            }
        )

    def signing_secret(self, tenant_id: str) -> str | None:
        # Read at every use, not cached: a rotation applies to the very next POST.
        try:
            raw = self._secrets.get_secret_value(SecretId=erp_secret_name(tenant_id))
        except self._secrets.exceptions.ResourceNotFoundException:
            return None
        value = json.loads(raw["SecretString"]).get("signing_secret")
        return str(value) if value else None

    def put_signing_secret(self, tenant_id: str, secret: str) -> None:
        body = json.dumps({"signing_secret": secret})
        put_secret_string(self._secrets, erp_secret_name(tenant_id), body)


# Attributes of a delivery item that are not ErpDelivery fields, or stored differently.
_EVENT_ATTRIBUTE = "event_json"


def _delivery_from_item(item: dict[str, Any]) -> ErpDelivery:
    fields = {k: item[k] for k in ErpDelivery.model_fields if k in item and k != "event"}
    for number in ("round", "attempts", "last_status_code", "lease_until"):
        if fields.get(number) is not None:
            fields[number] = int(fields[number])
    return ErpDelivery(**fields, event=json.loads(item.get(_EVENT_ATTRIBUTE) or "{}"))


class DynamoErpDeliveries:
    def __init__(self, table: Any) -> None:
        self._table = table

    def open(self, delivery: ErpDelivery) -> ErpDelivery:
        item = {
            **keys.erp_delivery_key(delivery.tenant_id, delivery.delivery_id),
            "gsi1pk": keys.erp_deliveries_index_pk(delivery.tenant_id),
            "gsi1sk": f"{delivery.created_at}#{delivery.delivery_id}",
            "type": "erp_delivery",
            "expires_at": epoch(parse_iso(delivery.created_at)) + KEEP_DELIVERIES_SECONDS,
            **delivery.model_dump(mode="json", exclude={"event"}, exclude_none=True),
            _EVENT_ATTRIBUTE: json.dumps(delivery.event, separators=(",", ":")),
        }
        created = conditional(
            lambda: self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        )
        if created:
            return delivery
        stored = self.get(delivery.tenant_id, delivery.delivery_id)
        if stored is None:  # pragma: no cover - the condition failed because it exists
            raise RuntimeError("delivery vanished between put and get")
        return stored

    def get(self, tenant_id: str, delivery_id: str) -> ErpDelivery | None:
        key = keys.erp_delivery_key(tenant_id, delivery_id)
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return _delivery_from_item(item) if item else None

    def claim(self, delivery: ErpDelivery, *, now: int, lease_seconds: int, at: str) -> bool:
        settled = {f":settled{i}": s.value for i, s in enumerate(sorted(SETTLED))}
        return conditional(
            lambda: self._table.update_item(
                Key=keys.erp_delivery_key(delivery.tenant_id, delivery.delivery_id),
                UpdateExpression=(
                    "SET attempts = attempts + :one, lease_until = :until, "
                    "last_attempt_at = :at, updated_at = :at"
                ),
                ConditionExpression=(
                    "attribute_exists(pk) AND #r = :round AND NOT (#s IN ("
                    + ", ".join(settled)
                    + ")) AND (attribute_not_exists(lease_until) OR lease_until < :now)"
                ),
                ExpressionAttributeNames={"#r": "round", "#s": "status"},
                ExpressionAttributeValues={
                    ":one": 1,
                    ":until": now + lease_seconds,
                    ":at": at,
                    ":round": delivery.round,
                    ":now": now,
                    **settled,
                },
            )
        )

    def finish(self, delivery: ErpDelivery, outcome: AttemptOutcome, *, at: str) -> bool:
        values = {
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
            "next_retry_at": outcome.next_retry_at,
            "delivered_at": outcome.delivered_at,
        }
        sets = ["#s = :status", "updated_at = :at"]
        removes = ["lease_until"]
        attribute_values: dict[str, Any] = {
            ":status": outcome.status.value,
            ":at": at,
            ":round": delivery.round,
        }
        for name, value in values.items():
            if value is None:
                removes.append(name)
            else:
                sets.append(f"{name} = :{name}")
                attribute_values[f":{name}"] = value
        return conditional(
            lambda: self._table.update_item(
                Key=keys.erp_delivery_key(delivery.tenant_id, delivery.delivery_id),
                UpdateExpression=f"SET {', '.join(sets)} REMOVE {', '.join(removes)}",
                ConditionExpression="attribute_exists(pk) AND #r = :round",
                ExpressionAttributeNames={"#r": "round", "#s": "status"},
                ExpressionAttributeValues=attribute_values,
            )
        )

    def reopen(self, tenant_id: str, delivery_id: str, *, at: str) -> ErpDelivery | None:
        try:
            item = self._table.update_item(
                Key=keys.erp_delivery_key(tenant_id, delivery_id),
                UpdateExpression=(
                    "SET #r = #r + :one, #s = :pending, attempts = :zero, updated_at = :at "
                    "REMOVE last_status_code, last_error, next_retry_at, delivered_at, "
                    "lease_until, last_attempt_at"
                ),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#r": "round", "#s": "status"},
                ExpressionAttributeValues={
                    ":one": 1,
                    ":zero": 0,
                    ":pending": DeliveryStatus.PENDING.value,
                    ":at": at,
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except Exception as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return _delivery_from_item(item)

    def list_recent(self, tenant_id: str, limit: int, cursor: str | None = None) -> ErpDeliveryPage:
        items, next_cursor = newest_first(
            self._table,
            index_pk=keys.erp_deliveries_index_pk(tenant_id),
            pk_prefix=keys.erp_delivery_pk_prefix(tenant_id),
            limit=limit,
            cursor=cursor,
        )
        return ErpDeliveryPage(
            deliveries=[_delivery_from_item(i) for i in items], next_cursor=next_cursor
        )
