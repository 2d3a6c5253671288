"""Tenant records and seller API keys (only the key's SHA-256 is stored)."""

from __future__ import annotations

import hashlib
from typing import Any

from postventa.domain.accounts import ApiKeyInfo
from postventa.domain.clock import iso
from postventa.domain.ports import Clock
from postventa.domain.tenants import Tenant
from postventa.storage import keys


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def _tenant_key(tenant_id: str) -> dict[str, str]:
    return {"pk": keys.tenant_pk(tenant_id), "sk": keys.TENANT_SK}


class DynamoTenants:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def get(self, tenant_id: str) -> Tenant | None:
        item = self._table.get_item(Key=_tenant_key(tenant_id), ConsistentRead=True).get("Item")
        return Tenant.model_validate(item) if item else None

    def put(self, tenant: Tenant) -> None:
        self._table.put_item(
            Item={
                **_tenant_key(tenant.tenant_id),
                "gsi1pk": keys.TENANTS_INDEX_PK,
                "gsi1sk": tenant.tenant_id,
                "type": "tenant",
                "updated_at": iso(self._clock.now()),
                **tenant.model_dump(mode="json", exclude_none=True),
            }
        )

    def list_ids(self) -> list[str]:
        ids: list[str] = []
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": keys.TENANTS_INDEX_PK},
        }
        while True:
            page = self._table.query(**kwargs)
            ids.extend(str(i["gsi1sk"]) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return ids
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_api_key(self, tenant_id: str, api_key: str, label: str = "") -> None:
        """Store only the key's hash; the key itself is shown to the seller once."""
        digest = hash_api_key(api_key)
        self._table.put_item(
            Item={
                "pk": keys.tenant_pk(tenant_id),
                "sk": keys.api_key_sk(digest),
                "gsi1pk": keys.api_key_lookup_pk(digest),
                "gsi1sk": "APIKEY",
                "type": "api_key",
                "tenant_id": tenant_id,
                "label": label,
                "created_at": iso(self._clock.now()),
            }
        )

    def tenant_for_api_key(self, api_key: str) -> str | None:
        page = self._table.query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": keys.api_key_lookup_pk(hash_api_key(api_key))},
            Limit=1,
        )
        items = page.get("Items", [])
        if not items or items[0].get("revoked"):
            return None
        return str(items[0]["tenant_id"])

    def list_api_keys(self, tenant_id: str) -> list[ApiKeyInfo]:
        page = self._table.query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
            ExpressionAttributeValues={":p": keys.tenant_pk(tenant_id), ":k": "APIKEY#"},
        )
        return [
            ApiKeyInfo(
                id=str(i["sk"]).removeprefix("APIKEY#")[:16],
                etiqueta=str(i.get("label") or ""),
                creada=str(i.get("created_at") or ""),
                revocada=bool(i.get("revoked")),
            )
            for i in page.get("Items", [])
        ]

    def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        """Revoke the tenant's key whose hash starts with `key_id`; False when there is none."""
        if len(key_id) != 16 or not all(c in "0123456789abcdef" for c in key_id):
            return False
        page = self._table.query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
            ExpressionAttributeValues={":p": keys.tenant_pk(tenant_id), ":k": f"APIKEY#{key_id}"},
        )
        items = page.get("Items", [])
        for item in items:
            self._table.update_item(
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET revoked = :t, revoked_at = :at",
                ExpressionAttributeValues={":t": True, ":at": iso(self._clock.now())},
            )
        return bool(items)
