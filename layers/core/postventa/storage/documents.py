"""Invoice documents in the documents bucket (encrypted, private; only our functions read it).

Keys lead with `invoices/{tenant}/`, so a tenant's documents are one prefix and a key always
names its tenant. Every call names the tenant and a key outside its own prefix is refused before
any S3 call: an event or a record can never make one tenant's invoice reach another tenant
(its ERP, its buyer, its download link). Buyers and sellers get a presigned link that expires,
never the bucket.
"""

from __future__ import annotations

from typing import Any

INVOICES_PREFIX = "invoices/"


class InvoiceKeyError(ValueError):
    """A document key that does not lie under the tenant's own invoices prefix."""


def tenant_prefix(root: str, tenant_id: str) -> str:
    """`{root}{tenant}/`: the one prefix of a tenant's files of one kind (invoices, exports)."""
    if not tenant_id or "/" in tenant_id:
        raise InvoiceKeyError("tenant id cannot be part of an S3 key")
    return f"{root}{tenant_id}/"


def check_tenant_key(root: str, tenant_id: str, key: str) -> str:
    """The key, if it lies under the tenant's own prefix of that kind; refused otherwise."""
    if not key.startswith(tenant_prefix(root, tenant_id)) or "/../" in f"/{key}/":
        raise InvoiceKeyError(f"key outside the tenant's {root} prefix")
    return key


def tenant_invoices_prefix(tenant_id: str) -> str:
    return tenant_prefix(INVOICES_PREFIX, tenant_id)


def check_invoice_key(tenant_id: str, key: str) -> str:
    return check_tenant_key(INVOICES_PREFIX, tenant_id, key)


def presigned_download(client: Any, bucket: str, key: str, filename: str, seconds: int) -> str:
    """A link that downloads `key` as `filename` and expires after `seconds` (the key already
    checked against its tenant's prefix)."""
    return str(
        client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=seconds,
        )
    )


class S3Documents:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, tenant_id: str, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(
            Bucket=self._bucket,
            Key=check_invoice_key(tenant_id, key),
            Body=data,
            ContentType=content_type,
        )

    def get(self, tenant_id: str, key: str) -> bytes | None:
        try:
            response = self._client.get_object(
                Bucket=self._bucket, Key=check_invoice_key(tenant_id, key)
            )
        except self._client.exceptions.NoSuchKey:
            return None
        body: bytes = response["Body"].read()
        return body

    def download_url(self, tenant_id: str, key: str, filename: str, seconds: int) -> str:
        key = check_invoice_key(tenant_id, key)
        return presigned_download(self._client, self._bucket, key, filename, seconds)
