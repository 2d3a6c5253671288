"""Billing-form links: only the SHA-256 of the token is stored; the token lives in the email.

The item sits in its order's partition (tenant-led key); the buyer's request carries no tenant,
so it is found through gsi1 by `FORM#{sha256}` - safe because the hash of a 256-bit random token
cannot be guessed or enumerated, and the item names its tenant.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from postventa.storage import keys
from postventa.storage.table import epoch, is_conditional_failure, now_iso, table

# Expired links stay readable for a month so the buyer sees "expired" (410), not "unknown".
_KEEP_AFTER_EXPIRY_SECONDS = 30 * 24 * 3600


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FormLink:
    tenant_id: str
    channel: str
    order_id: str
    token_hash: str
    task_token: str
    link_expires_at: int
    used_at: str | None

    def is_expired(self, now: int | None = None) -> bool:
        return (now if now is not None else epoch()) >= self.link_expires_at


def create_form_link(
    tenant_id: str, channel: str, order_id: str, *, task_token: str, link_expires_at: int
) -> str:
    """Store a new link for the order and return the raw token (never stored)."""
    token = new_token()
    digest = hash_token(token)
    table().put_item(
        Item={
            "pk": keys.order_pk(tenant_id, channel, order_id),
            "sk": keys.form_token_sk(digest),
            "gsi1pk": keys.form_token_lookup_pk(digest),
            "gsi1sk": "FORM",
            "type": "form_link",
            "tenant_id": tenant_id,
            "channel": channel,
            "order_id": order_id,
            "task_token": task_token,
            "link_expires_at": link_expires_at,
            "expires_at": link_expires_at + _KEEP_AFTER_EXPIRY_SECONDS,
            "created_at": now_iso(),
        },
        ConditionExpression="attribute_not_exists(pk)",
    )
    return token


def find_form_link(token: str) -> FormLink | None:
    if not token or len(token) > 128:
        return None
    digest = hash_token(token)
    page = table().query(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": keys.form_token_lookup_pk(digest)},
        Limit=1,
    )
    items = page.get("Items", [])
    return _link(items[0]) if items else None


def mark_link_used(link: FormLink) -> bool:
    """First submit wins (conditional write): a double submit gets False."""
    try:
        table().update_item(
            Key={
                "pk": keys.order_pk(link.tenant_id, link.channel, link.order_id),
                "sk": keys.form_token_sk(link.token_hash),
            },
            UpdateExpression="SET used_at = :at",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(used_at)",
            ExpressionAttributeValues={":at": now_iso()},
        )
    except Exception as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def release_link(link: FormLink) -> None:
    """Undo a claim when the submission could not be completed, so the buyer can retry."""
    table().update_item(
        Key={
            "pk": keys.order_pk(link.tenant_id, link.channel, link.order_id),
            "sk": keys.form_token_sk(link.token_hash),
        },
        UpdateExpression="REMOVE used_at",
    )


def latest_form_link(tenant_id: str, channel: str, order_id: str) -> FormLink | None:
    """The order's most recent link (reminders reuse its task token and expiry)."""
    page = table().query(
        KeyConditionExpression="pk = :p AND begins_with(sk, :f)",
        ExpressionAttributeValues={
            ":p": keys.order_pk(tenant_id, channel, order_id),
            ":f": "FORM#",
        },
    )
    items = sorted(page.get("Items", []), key=lambda i: str(i.get("created_at", "")))
    return _link(items[-1]) if items else None


def _link(item: dict[str, Any]) -> FormLink:
    return FormLink(
        tenant_id=str(item["tenant_id"]),
        channel=str(item["channel"]),
        order_id=str(item["order_id"]),
        token_hash=str(item["sk"]).removeprefix("FORM#"),
        task_token=str(item["task_token"]),
        link_expires_at=int(item["link_expires_at"]),
        used_at=str(item["used_at"]) if item.get("used_at") else None,
    )
