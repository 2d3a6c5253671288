"""The one DynamoDB table: the conditional-write and pagination helpers every repository uses."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from postventa.errors import BadRequestError


def is_conditional_failure(exc: BaseException) -> bool:
    response = getattr(exc, "response", None) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def conditional(write: Callable[[], Any]) -> bool:
    """Run a conditional write: True when it was applied, False when its condition failed
    (someone else got there first); any other error propagates."""
    try:
        write()
    except Exception as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    """A listing's LastEvaluatedKey as an opaque, URL-safe cursor."""
    raw = json.dumps({k: str(v) for k, v in last_key.items()}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(
    cursor: str, *, index_pk: str, pk_prefix: str, index: str = "gsi1"
) -> dict[str, str]:
    """The page's start key of an index listing; refused unless it lies in the caller's own
    listing (`index_pk`, items under `pk_prefix`): a cursor is opaque to the seller, but a
    tampered one must never reach another tenant's items."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error):
        raise BadRequestError("El cursor de paginación no es válido.") from None
    expected = {"pk", "sk", f"{index}pk", f"{index}sk"}
    if (
        not isinstance(key, dict)
        or set(key) != expected
        or not all(isinstance(v, str) for v in key.values())
        or key[f"{index}pk"] != index_pk
        or not key["pk"].startswith(pk_prefix)
    ):
        raise BadRequestError("El cursor de paginación no es válido.")
    return key


def newest_first(
    table: Any,
    *,
    index_pk: str,
    pk_prefix: str,
    limit: int,
    cursor: str | None,
    index: str = "gsi1",
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of an index listing (gsi1 by default), newest first, and the cursor of the next
    page (None at the end); the cursor must come from the same listing (`decode_cursor`)."""
    kwargs: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": f"{index}pk = :p",
        "ExpressionAttributeValues": {":p": index_pk},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = decode_cursor(
            cursor, index_pk=index_pk, pk_prefix=pk_prefix, index=index
        )
    page = table.query(**kwargs)
    last = page.get("LastEvaluatedKey")
    return list(page.get("Items", [])), encode_cursor(last) if last else None
