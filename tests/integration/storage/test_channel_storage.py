"""Channel storage on moto in-process: token buckets shared by threads, connections and account
ownership, the refresh lock, the poll lease and cursor, per-channel secrets."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from postventa.aws import client
from postventa.domain.channels import ChannelConnection, ConnectionStatus
from postventa.domain.orders import Channel
from postventa.storage.connections import DynamoConnections
from postventa.storage.secrets import SecretsManagerTenantSecrets, secret_name
from postventa.storage.throttle import DynamoThrottle

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
        self.lock = threading.Lock()

    def now(self) -> datetime:
        with self.lock:
            return self.current

    def advance(self, **delta: float) -> None:
        with self.lock:
            self.current += timedelta(**delta)


def test_a_bucket_gives_its_burst_then_one_token_per_interval(table: Any) -> None:
    clock = Clock()
    throttle = DynamoThrottle(table, clock)
    waits = [throttle.acquire("amazon:A1:messaging", 1.0, 5) for _ in range(6)]
    assert waits[:5] == [0.0] * 5 and waits[5] == pytest.approx(1.0)
    clock.advance(seconds=1)
    assert throttle.acquire("amazon:A1:messaging", 1.0, 5) == 0.0
    assert throttle.acquire("amazon:A2:messaging", 1.0, 5) == 0.0  # another seller's bucket


def test_a_take_that_lost_the_race_reads_again_instead_of_spending_a_token_twice(
    table: Any,
) -> None:
    """Between this function's read and its write another one takes a token: the conditional
    write on the version fails and it counts again. (Threads cannot show this on moto, whose
    DynamoDB does not serialise concurrent writes the way DynamoDB does.)"""
    clock = Clock()
    throttle = DynamoThrottle(table, clock)
    for _ in range(4):
        assert throttle.acquire("ml:app:api", 0.001, 5) == 0.0  # one token left

    class Interleaved:
        def __init__(self) -> None:
            self.raced = False

        def get_item(self, **kwargs: Any) -> Any:
            item = table.get_item(**kwargs)
            if not self.raced:  # the other function takes the last token right now
                self.raced = True
                assert DynamoThrottle(table, clock).acquire("ml:app:api", 0.001, 5) == 0.0
            return item

        def update_item(self, **kwargs: Any) -> Any:
            return table.update_item(**kwargs)

    wait = DynamoThrottle(Interleaved(), clock).acquire("ml:app:api", 0.001, 5)
    assert wait > 0  # it saw the bucket empty on its second read: no sixth token


def connection(
    tenant: str = "tienda", status: ConnectionStatus = ConnectionStatus.CONNECTED
) -> ChannelConnection:
    return ChannelConnection(
        tenant_id=tenant,
        channel=Channel.LIVERPOOL,
        status=status,
        account_id="2001",
        connected_at="2026-11-20T16:00:00.000Z",
        updated_at="2026-11-20T16:00:00.000Z",
        settings={"api_url": "https://x"},
    )


def test_connections_round_trip_and_only_connected_ones_are_polled(table: Any) -> None:
    store = DynamoConnections(table, Clock())
    store.put(connection("a"))
    store.put(connection("b", ConnectionStatus.BROKEN))
    assert store.get("a", "liverpool") == connection("a")
    assert [c.tenant_id for c in store.connected("liverpool")] == ["a"]
    assert [c.channel for c in store.of_tenant("a")] == [Channel.LIVERPOOL]


def test_an_account_belongs_to_one_tenant(table: Any) -> None:
    store = DynamoConnections(table, Clock())
    assert store.claim_account("mercadolibre", "468424240", "a")
    assert store.claim_account("mercadolibre", "468424240", "a")  # again: still a's
    assert not store.claim_account("mercadolibre", "468424240", "b")
    assert store.tenant_for_account("mercadolibre", "468424240") == "a"
    store.release_account("mercadolibre", "468424240", "b")  # not b's to release
    assert store.tenant_for_account("mercadolibre", "468424240") == "a"
    store.release_account("mercadolibre", "468424240", "a")
    assert store.tenant_for_account("mercadolibre", "468424240") is None


def test_the_refresh_lock_has_one_holder_until_it_is_released_or_its_lease_ends(table: Any) -> None:
    clock = Clock()
    store = DynamoConnections(table, clock)
    assert store.lock_refresh("a", "mercadolibre", "f1", 30)
    assert not store.lock_refresh("a", "mercadolibre", "f2", 30)
    store.unlock_refresh("a", "mercadolibre", "f2")  # not f2's lock
    assert not store.lock_refresh("a", "mercadolibre", "f2", 30)
    clock.advance(seconds=31)  # f1 died holding it
    assert store.lock_refresh("a", "mercadolibre", "f2", 30)


def test_a_poll_takes_a_lease_at_most_once_a_minute_and_keeps_its_cursor(table: Any) -> None:
    clock = Clock()
    store = DynamoConnections(table, clock)
    assert store.start_poll("a", "liverpool", "run1", 280, 60)
    assert not store.start_poll("a", "liverpool", "run2", 280, 60)  # overlapping
    assert store.finish_poll("a", "liverpool", "run1", '{"since": "x"}')
    assert not store.start_poll("a", "liverpool", "run2", 280, 60)  # within the minute
    clock.advance(seconds=60)
    assert store.start_poll("a", "liverpool", "run2", 280, 60)
    assert not store.finish_poll("a", "liverpool", "run1", '{"since": "y"}')  # lost its lease
    assert store.poll_state("a", "liverpool").cursor == '{"since": "x"}'


def test_parked_deliveries_and_one_off_notices(table: Any) -> None:
    store = DynamoConnections(table, Clock())
    store.park("a", "mercadolibre", "orders_v2|n1", '{"body": 1}')
    store.park("a", "mercadolibre", "orders_v2|n1", '{"body": 1}')  # the same delivery
    store.park("a", "mercadolibre", "orders_v2|n2", '{"body": 2}')
    store.put(connection("a"))  # the connection shares the partition: not a parked delivery
    parked = store.parked("a", "mercadolibre")
    assert sorted(body for _, body in parked) == ['{"body": 1}', '{"body": 2}']
    store.unpark("a", "mercadolibre", parked[0][0])
    assert len(store.parked("a", "mercadolibre")) == 1
    assert store.notice_once("a", "mercadolibre", "shipping|1")
    assert not store.notice_once("a", "mercadolibre", "shipping|1")
    store.forget_notice("a", "mercadolibre", "shipping|1")
    assert store.notice_once("a", "mercadolibre", "shipping|1")
    assert store.use_state("nonce-1", 2_000_000_000) and not store.use_state(
        "nonce-1", 2_000_000_000
    )


def test_each_channel_has_its_own_secret_and_the_combined_one_is_still_read(table: Any) -> None:
    secrets = SecretsManagerTenantSecrets(client("secretsmanager"))
    secrets.put("tienda", {"shopify": {"webhook_secret": "antiguo"}})
    secrets.put_channel("tienda", "mercadolibre", {"access_token": "A1"})
    assert secrets.channel("tienda", "shopify") == {"webhook_secret": "antiguo"}
    assert secrets.channel("tienda", "mercadolibre") == {"access_token": "A1"}
    # another function renews the token: a cached read keeps the old one until asked fresh
    other = SecretsManagerTenantSecrets(client("secretsmanager"))
    other.put_channel("tienda", "mercadolibre", {"access_token": "A2"})
    assert secrets.channel("tienda", "mercadolibre") == {"access_token": "A1"}
    assert secrets.channel("tienda", "mercadolibre", fresh=True) == {"access_token": "A2"}
    secrets.delete_channel("tienda", "mercadolibre")
    assert secrets.channel("tienda", "mercadolibre", fresh=True) is None
    secrets.put_channel("tienda", "mercadolibre", {"access_token": "A3"})  # connect again
    assert secrets.channel("tienda", "mercadolibre", fresh=True) == {"access_token": "A3"}
    raw = client("secretsmanager").get_secret_value(SecretId=secret_name("tienda"))
    assert "mercadolibre" not in json.loads(raw["SecretString"])
