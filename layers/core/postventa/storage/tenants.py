"""Tenant records and seller API keys."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, Field

from postventa.storage import keys
from postventa.storage.table import now_iso, table


class IssuerFiscalData(BaseModel):
    """The seller's fiscal identity as the CFDI Emisor (the CSD itself lives in Secrets Manager)."""

    rfc: str
    nombre: str
    regimen_fiscal: str
    codigo_postal: str


class Tenant(BaseModel):
    tenant_id: str
    name: str
    channels: list[str] = Field(default_factory=list)
    billing_deadline_seconds: int = Field(7 * 24 * 3600, gt=0)
    reminder_after_seconds: int = Field(2 * 24 * 3600, gt=0)
    issuer: IssuerFiscalData | None = None
    csd_secret_ref: str | None = Field(None, description="Secrets Manager name of the CSD")
    pac: str = "sandbox"


def put_tenant(tenant: Tenant) -> None:
    item: dict[str, Any] = {
        **keys_for_tenant(tenant.tenant_id),
        "gsi1pk": keys.TENANTS_INDEX_PK,
        "gsi1sk": tenant.tenant_id,
        "type": "tenant",
        "updated_at": now_iso(),
        **tenant.model_dump(mode="json", exclude_none=True),
    }
    table().put_item(Item=item)


def get_tenant(tenant_id: str) -> Tenant | None:
    item = table().get_item(Key=keys_for_tenant(tenant_id), ConsistentRead=True).get("Item")
    return Tenant.model_validate(item) if item else None


def list_tenant_ids() -> list[str]:
    ids: list[str] = []
    kwargs: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :p",
        "ExpressionAttributeValues": {":p": keys.TENANTS_INDEX_PK},
    }
    while True:
        page = table().query(**kwargs)
        ids.extend(str(i["gsi1sk"]) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return ids
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def keys_for_tenant(tenant_id: str) -> dict[str, str]:
    return {"pk": keys.tenant_pk(tenant_id), "sk": keys.TENANT_SK}


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def put_api_key(tenant_id: str, api_key: str, label: str = "") -> None:
    """Store only the key's hash; the key itself is shown to the seller once."""
    digest = hash_api_key(api_key)
    table().put_item(
        Item={
            "pk": keys.tenant_pk(tenant_id),
            "sk": keys.api_key_sk(digest),
            "gsi1pk": keys.api_key_lookup_pk(digest),
            "gsi1sk": "APIKEY",
            "type": "api_key",
            "tenant_id": tenant_id,
            "label": label,
            "created_at": now_iso(),
        }
    )


def tenant_for_api_key(api_key: str) -> str | None:
    digest = hash_api_key(api_key)
    page = table().query(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": keys.api_key_lookup_pk(digest)},
        Limit=1,
    )
    items = page.get("Items", [])
    if not items or items[0].get("revoked"):
        return None
    return str(items[0]["tenant_id"])
