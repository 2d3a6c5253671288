"""Channel connections in the table: the record, the account -> tenant lookup, the refresh lock,
the poll cursor and lease, used OAuth states and one-off notices (decision 0016).

Credentials are not here: they live in Secrets Manager (storage/secrets.py).
"""

from __future__ import annotations

import time
from typing import Any

from postventa.domain.channels import ChannelConnection, ConnectionStatus
from postventa.domain.clock import epoch, iso
from postventa.domain.ports import Clock, PollState
from postventa.storage import keys
from postventa.storage.table import conditional

_CONNECTION_FIELDS = tuple(ChannelConnection.model_fields)


def _connection(item: dict[str, Any]) -> ChannelConnection:
    return ChannelConnection.model_validate({k: item[k] for k in _CONNECTION_FIELDS if k in item})


# How long a function remembers which tenant owns a channel account (the webhook's lookup on
# every Mercado Libre notification). A disconnection is seen by ingest at once regardless: it
# works with the connection record, not this cache.
OWNER_CACHE_SECONDS = 60.0


class DynamoConnections:
    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._clock = clock
        self._owners: dict[tuple[str, str], tuple[float, str]] = {}

    # ---------------------------------------------------------------- the record
    def get(self, tenant_id: str, channel: str) -> ChannelConnection | None:
        item = self._table.get_item(
            Key=keys.channel_connection_key(tenant_id, channel), ConsistentRead=True
        ).get("Item")
        return _connection(item) if item else None

    def put(self, connection: ChannelConnection) -> None:
        item: dict[str, Any] = {
            **keys.channel_connection_key(connection.tenant_id, connection.channel.value),
            "type": "channel_connection",
            **connection.model_dump(mode="json", exclude_none=True),
        }
        if connection.status is ConnectionStatus.CONNECTED:
            item["gsi1pk"] = keys.channel_tenants_index_pk(connection.channel.value)
            item["gsi1sk"] = connection.tenant_id
        self._table.put_item(Item=item)

    def of_tenant(self, tenant_id: str) -> list[ChannelConnection]:
        from postventa.domain.orders import Channel

        found = []
        for channel in Channel:
            connection = self.get(tenant_id, channel.value)
            if connection is not None:
                found.append(connection)
        return found

    def connected(self, channel: str) -> list[ChannelConnection]:
        out: list[ChannelConnection] = []
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": keys.channel_tenants_index_pk(channel)},
        }
        while True:
            page = self._table.query(**kwargs)
            out.extend(_connection(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # ---------------------------------------------------------------- accounts
    def tenant_for_account(self, channel: str, account_id: str) -> str | None:
        now = time.monotonic()
        cached = self._owners.get((channel, account_id))
        if cached and cached[0] > now:
            return cached[1]
        item = self._table.get_item(Key=keys.channel_account_key(channel, account_id)).get("Item")
        if not item:
            return None  # unknown accounts are not remembered: connecting one shows at once
        owner = str(item["tenant_id"])
        self._owners[(channel, account_id)] = (now + OWNER_CACHE_SECONDS, owner)
        return owner

    def claim_account(self, channel: str, account_id: str, tenant_id: str) -> bool:
        """Own the account for the tenant; False when another tenant owns it."""
        return conditional(
            lambda: self._table.put_item(
                Item={
                    **keys.channel_account_key(channel, account_id),
                    "type": "channel_account",
                    "tenant_id": tenant_id,
                    "claimed_at": iso(self._clock.now()),
                },
                ConditionExpression="attribute_not_exists(pk) OR tenant_id = :t",
                ExpressionAttributeValues={":t": tenant_id},
            )
        )

    def release_account(self, channel: str, account_id: str, tenant_id: str) -> None:
        self._owners.pop((channel, account_id), None)
        conditional(
            lambda: self._table.delete_item(
                Key=keys.channel_account_key(channel, account_id),
                ConditionExpression="tenant_id = :t",
                ExpressionAttributeValues={":t": tenant_id},
            )
        )

    # ---------------------------------------------------------------- token refresh lock
    def lock_refresh(self, tenant_id: str, channel: str, holder: str, seconds: int) -> bool:
        now = epoch(self._clock.now())
        return conditional(
            lambda: self._table.put_item(
                Item={
                    **keys.channel_refresh_lock_key(tenant_id, channel),
                    "holder": holder,
                    "lease_until": now + seconds,
                    "expires_at": now + seconds + 3600,
                },
                ConditionExpression="attribute_not_exists(pk) OR lease_until < :now",
                ExpressionAttributeValues={":now": now},
            )
        )

    def unlock_refresh(self, tenant_id: str, channel: str, holder: str) -> None:
        conditional(
            lambda: self._table.delete_item(
                Key=keys.channel_refresh_lock_key(tenant_id, channel),
                ConditionExpression="holder = :h",
                ExpressionAttributeValues={":h": holder},
            )
        )

    # ---------------------------------------------------------------- polling
    def poll_state(self, tenant_id: str, channel: str) -> PollState:
        item = (
            self._table.get_item(
                Key=keys.channel_poll_key(tenant_id, channel), ConsistentRead=True
            ).get("Item")
            or {}
        )
        return PollState(
            cursor=item.get("cursor"),
            last_started_at=int(item.get("last_started_at", 0)),
            lease_until=int(item.get("lease_until", 0)),
        )

    def start_poll(
        self, tenant_id: str, channel: str, holder: str, lease_seconds: int, min_interval: int
    ) -> bool:
        """Take the poll's lease: no other run holds it and the last run started at least
        `min_interval` seconds ago (the channel's "at most once a minute")."""
        now = epoch(self._clock.now())
        return conditional(
            lambda: self._table.update_item(
                Key=keys.channel_poll_key(tenant_id, channel),
                UpdateExpression="SET holder = :h, lease_until = :lease, last_started_at = :now",
                ConditionExpression=(
                    "attribute_not_exists(pk) OR "
                    "(lease_until < :now AND last_started_at <= :recent)"
                ),
                ExpressionAttributeValues={
                    ":h": holder,
                    ":lease": now + lease_seconds,
                    ":now": now,
                    ":recent": now - min_interval,
                },
            )
        )

    def finish_poll(self, tenant_id: str, channel: str, holder: str, cursor: str | None) -> bool:
        """Store the cursor a complete run reached and release the lease; False when the lease
        was lost (another run took over: its cursor wins)."""
        values: dict[str, Any] = {":h": holder, ":zero": 0}
        expression = "SET lease_until = :zero"
        if cursor is not None:
            expression += ", #cursor = :c"
            values[":c"] = cursor
        return conditional(
            lambda: self._table.update_item(
                Key=keys.channel_poll_key(tenant_id, channel),
                UpdateExpression=expression,
                ConditionExpression="holder = :h",
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": {"#cursor": "cursor"}} if cursor else {}),
            )
        )

    # ---------------------------------------------------------------- one-off markers
    def use_state(self, nonce: str, expires_at: int) -> bool:
        """Mark an OAuth state used; False when it already was (a replayed callback)."""
        return conditional(
            lambda: self._table.put_item(
                Item={**keys.oauth_state_key(nonce), "expires_at": expires_at},
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    def notice_once(self, tenant_id: str, channel: str, notice: str) -> bool:
        """True the first time `notice` is claimed (e.g. one shipping message per shipment)."""
        now = self._clock.now()
        return conditional(
            lambda: self._table.put_item(
                Item={
                    **keys.channel_notice_key(tenant_id, channel, notice),
                    "at": iso(now),
                    "expires_at": epoch(now) + 400 * 24 * 3600,
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    def forget_notice(self, tenant_id: str, channel: str, notice: str) -> None:
        """Undo a claim whose message could not be sent, so a retry sends it."""
        self._table.delete_item(Key=keys.channel_notice_key(tenant_id, channel, notice))

    # ---------------------------------------------------------------- parked deliveries
    def park(self, tenant_id: str, channel: str, key: str, body: str) -> None:
        """Keep a delivery that could not be fetched while the connection is broken; fetched
        again when the seller reconnects (`parked`, `unpark`)."""
        item_key = keys.channel_parked_key(tenant_id, channel, key)
        self._table.put_item(
            Item={
                **item_key,
                "body": body,
                "parked_at": iso(self._clock.now()),
                "expires_at": epoch(self._clock.now()) + 30 * 24 * 3600,
            }
        )

    def parked(self, tenant_id: str, channel: str) -> list[tuple[str, str]]:
        """(key, body) of every parked delivery."""
        out: list[tuple[str, str]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":p": keys.channel_connection_key(tenant_id, channel)["pk"],
                ":prefix": keys.PARKED_PREFIX,
            },
            "ConsistentRead": True,
        }
        while True:
            page = self._table.query(**kwargs)
            out.extend((str(i["sk"]), str(i["body"])) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def unpark(self, tenant_id: str, channel: str, key: str) -> None:
        pk = keys.channel_connection_key(tenant_id, channel)["pk"]
        self._table.delete_item(Key={"pk": pk, "sk": key})
