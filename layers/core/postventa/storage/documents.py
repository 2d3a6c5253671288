"""Invoice documents in the documents bucket (encrypted, private; only our functions read it).

Keys lead with `invoices/{tenant}/`, so a tenant's documents are one prefix and a key always
names its tenant. Buyers and sellers get a presigned link that expires, never the bucket.
"""

from __future__ import annotations

from typing import Any


class S3Documents:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except self._client.exceptions.NoSuchKey:
            return None
        return body

    def download_url(self, key: str, filename: str, seconds: int) -> str:
        return str(
            self._client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=seconds,
            )
        )
