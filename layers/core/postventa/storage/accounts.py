"""People of a seller's account and the panel's sessions, in the table."""

from __future__ import annotations

from typing import Any

from postventa.domain.accounts import PanelSession, SellerUser
from postventa.storage import keys
from postventa.storage.table import conditional

_USER_FIELDS = frozenset(SellerUser.model_fields)
_SESSION_FIELDS = frozenset(PanelSession.model_fields)


class DynamoSellerUsers:
    """One item per person in the tenant's partition; gsi1 finds it by the pool's sub."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, user_id: str) -> SellerUser | None:
        page = self._table.query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": keys.user_lookup_pk(user_id)},
            Limit=1,
        )
        items = page.get("Items", [])
        return _user(items[0]) if items else None

    def put(self, user: SellerUser) -> None:
        self._table.put_item(
            Item={
                **keys.user_key(user.tenant_id, user.user_id),
                "gsi1pk": keys.user_lookup_pk(user.user_id),
                "gsi1sk": "USER",
                "type": "seller_user",
                **user.model_dump(mode="json", exclude_none=True),
            }
        )

    def list(self, tenant_id: str) -> list[SellerUser]:
        page = self._table.query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :u)",
            ExpressionAttributeValues={":p": keys.tenant_pk(tenant_id), ":u": "USER#"},
            ConsistentRead=True,
        )
        return sorted((_user(i) for i in page.get("Items", [])), key=lambda u: u.email)


def _user(item: dict[str, Any]) -> SellerUser:
    return SellerUser.model_validate({k: v for k, v in item.items() if k in _USER_FIELDS})


class DynamoSessions:
    """Sessions expire by themselves (TTL on the absolute end) and are checked on every read."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def create(self, session: PanelSession) -> None:
        self._table.put_item(
            Item={
                **keys.session_key(session.tenant_id, session.token_hash),
                "type": "panel_session",
                **session.model_dump(mode="json"),  # expires_at is the table's TTL attribute
            }
        )

    def get(self, tenant_id: str, token_hash: str) -> PanelSession | None:
        item = self._table.get_item(
            Key=keys.session_key(tenant_id, token_hash), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return PanelSession.model_validate({k: v for k, v in item.items() if k in _SESSION_FIELDS})

    def touch(self, session: PanelSession, idle_until: int) -> bool:
        """Push the idle deadline; False when the session is gone (signed out meanwhile)."""
        return conditional(
            lambda: self._table.update_item(
                Key=keys.session_key(session.tenant_id, session.token_hash),
                UpdateExpression="SET idle_until = :i",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":i": idle_until},
            )
        )

    def delete(self, tenant_id: str, token_hash: str) -> None:
        self._table.delete_item(Key=keys.session_key(tenant_id, token_hash))
