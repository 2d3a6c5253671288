"""Files a person asked for (customer exports), written to the documents bucket as they are
made: an S3 multipart upload of 8 MiB parts, so a file of any length costs one part of memory."""

from __future__ import annotations

from typing import Any

from postventa.storage.documents import check_tenant_key, presigned_download

PART_BYTES = 8 * 1024 * 1024  # S3 parts are at least 5 MiB (the last excepted)


class S3ExportWriter:
    def __init__(self, client: Any, bucket: str, key: str, content_type: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._upload = client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=content_type
        )["UploadId"]
        self._parts: list[dict[str, Any]] = []
        self._buffer = bytearray()

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= PART_BYTES:
            self._flush()

    def _flush(self) -> None:
        number = len(self._parts) + 1
        answer = self._client.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload,
            PartNumber=number,
            Body=bytes(self._buffer),
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self._buffer = bytearray()

    def close(self) -> None:
        if self._buffer or not self._parts:
            self._flush()
        self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload,
            MultipartUpload={"Parts": self._parts},
        )

    def abort(self) -> None:
        self._client.abort_multipart_upload(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload
        )


def check_export_key(tenant_id: str, key: str) -> str:
    """Exports live under `exports/{tenant}/` (storage.keys.export_key): a key outside the
    tenant's own prefix is refused (a ValueError) before any S3 call, as for invoices."""
    return check_tenant_key("exports/", tenant_id, key)


class S3ExportFiles:
    """Written part by part; read through a presigned link that expires."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def open(self, tenant_id: str, key: str, content_type: str) -> S3ExportWriter:
        return S3ExportWriter(
            self._client, self._bucket, check_export_key(tenant_id, key), content_type
        )

    def download_url(self, tenant_id: str, key: str, filename: str, seconds: int) -> str:
        key = check_export_key(tenant_id, key)
        return presigned_download(self._client, self._bucket, key, filename, seconds)
