"""Billing-form links: only the SHA-256 of the token is stored; the token lives in the email.

The item sits in its order's partition (tenant-led key); the buyer's request carries no tenant,
so it is found through gsi1 by `FORM#{sha256}` - safe because the hash of a 256-bit random token
cannot be guessed or enumerated, and the item names its tenant.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from postventa.domain.billing_links import CLAIM_LEASE_SECONDS, BillingLink
from postventa.domain.clock import iso
from postventa.domain.orders import OrderRef
from postventa.domain.ports import Clock
from postventa.storage import keys
from postventa.storage.table import conditional

# Expired links stay readable for a month so the buyer sees "expired" (410), not "unknown".
_KEEP_AFTER_EXPIRY_SECONDS = 30 * 24 * 3600
_MAX_TOKEN_LENGTH = 128


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class DynamoBillingLinks:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def create(self, ref: OrderRef, *, task_token: str, expires_at: int, round: int = 0) -> str:
        token = new_token()
        digest = hash_token(token)
        item = {
            "pk": keys.order_pk(ref.tenant_id, ref.channel, ref.order_id),
            "sk": keys.form_token_sk(digest),
            "gsi1pk": keys.form_token_lookup_pk(digest),
            "gsi1sk": "FORM",
            "type": "form_link",
            "tenant_id": ref.tenant_id,
            "channel": ref.channel,
            "order_id": ref.order_id,
            "task_token": task_token,
            "form_key": secrets.token_urlsafe(32),
            "round": round,
            "link_expires_at": expires_at,
            "expires_at": expires_at + _KEEP_AFTER_EXPIRY_SECONDS,
            "created_at": iso(self._clock.now()),
        }
        self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        return token

    def find(self, token: str) -> BillingLink | None:
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        page = self._table.query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": keys.form_token_lookup_pk(hash_token(token))},
            Limit=1,
        )
        items = page.get("Items", [])
        return _link(items[0]) if items else None

    def claim(self, link: BillingLink, now: int) -> bool:
        """First submit wins; a claim older than the lease (a submission that died) is taken
        over, so a crash half way never locks the buyer out."""
        return conditional(
            lambda: self._table.update_item(
                Key=_key(link),
                UpdateExpression="SET used_at = :now",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(used_at) OR used_at < :stale)",
                ExpressionAttributeValues={":now": now, ":stale": now - CLAIM_LEASE_SECONDS},
            )
        )

    def release(self, link: BillingLink) -> None:
        self._table.update_item(Key=_key(link), UpdateExpression="REMOVE used_at")

    def latest(self, ref: OrderRef) -> BillingLink | None:
        page = self._table.query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :f)",
            ExpressionAttributeValues={
                ":p": keys.order_pk(ref.tenant_id, ref.channel, ref.order_id),
                ":f": keys.FORM_LINK_PREFIX,
            },
        )
        items = sorted(page.get("Items", []), key=lambda i: str(i.get("created_at", "")))
        return _link(items[-1]) if items else None


def _key(link: BillingLink) -> dict[str, str]:
    ref = link.ref
    return {
        "pk": keys.order_pk(ref.tenant_id, ref.channel, ref.order_id),
        "sk": keys.form_token_sk(link.token_hash),
    }


def _link(item: dict[str, Any]) -> BillingLink:
    return BillingLink(
        ref=OrderRef(
            tenant_id=str(item["tenant_id"]),
            channel=str(item["channel"]),
            order_id=str(item["order_id"]),
        ),
        token_hash=str(item["sk"]).removeprefix(keys.FORM_LINK_PREFIX),
        task_token=str(item["task_token"]),
        expires_at=int(item["link_expires_at"]),
        used_at=int(item["used_at"]) if item.get("used_at") is not None else None,
        form_key=str(item["form_key"]),
        round=int(item.get("round", 0)),
    )
