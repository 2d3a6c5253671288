"""Stamped documents in the documents bucket, read by tenant: `invoices/{tenant_id}/...`.

The lifecycle writes them (XML and PDF); the ERP forwarder reads the XML an InvoiceStamped event
names. A key outside the tenant's own prefix is refused before any S3 call, so an event can
never make us send one tenant's invoice to another tenant's ERP.
"""

from __future__ import annotations

from typing import Any

INVOICES_PREFIX = "invoices/"


class InvoiceKeyError(ValueError):
    """A document key that does not lie under the tenant's own invoices prefix."""


def tenant_invoices_prefix(tenant_id: str) -> str:
    if not tenant_id or "/" in tenant_id:
        raise InvoiceKeyError("tenant id cannot be part of an S3 key")
    return f"{INVOICES_PREFIX}{tenant_id}/"


def check_invoice_key(tenant_id: str, key: str) -> str:
    if not key.startswith(tenant_invoices_prefix(tenant_id)) or "/../" in f"/{key}/":
        raise InvoiceKeyError("document key outside the tenant's invoices prefix")
    return key


class S3InvoiceFiles:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def get(self, tenant_id: str, key: str) -> bytes:
        check_invoice_key(tenant_id, key)
        body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return body
