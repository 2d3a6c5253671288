"""The panel's adapters on moto in-process: customers (one transaction per save, uniqueness, the
audit entry once, index pages in order), sessions and people, the orders' filtered listing,
and an export written part by part."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from postventa.aws import client
from postventa.domain.accounts import PanelSession, Role, SellerUser
from postventa.domain.customers import AuditEntry, Customer, CustomerOrder
from postventa.domain.status import BILLING_REQUESTED, OrderStatus
from postventa.storage.accounts import DynamoSellerUsers, DynamoSessions
from postventa.storage.customers import DynamoCustomers
from postventa.storage.exports import PART_BYTES, S3ExportFiles
from postventa.storage.orders import DynamoOrders
from tests.support import builders
from tests.support.fakes import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("aws")]
MEXICO_CITY = timezone(timedelta(hours=-6))


def _customer(n: int, **changes: Any) -> Customer:
    values: dict[str, Any] = {
        "tenant_id": "tienda",
        "customer_id": str(n),
        "tipo_persona": "moral",
        "nombre": f"EMPRESA {n:03d}",
        "rfc": builders.moral_rfc(n),
        "email": f"c{n}@x.example",
        "zona": "Norte",
        "created_at": "2026-11-20T16:00:00.000Z",
        "updated_at": "2026-11-20T16:00:00.000Z",
    }
    values.update(changes)
    return Customer.model_validate(values)


def _audit(customer: Customer, change_id: str = "a1") -> AuditEntry:
    return AuditEntry(
        customer_id=customer.customer_id,
        at="2026-11-20T16:00:00.000Z",
        change_id=change_id,
        action="alta",
        by="x",
    )


def test_a_save_is_one_transaction_with_its_uniqueness_and_audit(table: Any) -> None:
    store = DynamoCustomers(table)
    first = _customer(1)
    assert store.save(first, None, _audit(first)) == "guardado"
    assert store.get("tienda", "1") == first
    assert store.holder("tienda", "RFC", first.rfc) == "1"
    assert store.holder("tienda", "EMAIL", "c1@x.example") == "1"
    clash = _customer(2, rfc=first.rfc)
    assert store.save(clash, None, _audit(clash)) == "rfc_ocupado"
    assert store.get("tienda", "2") is None  # nothing of it was written
    email = _customer(3, email="C1@x.example")
    assert store.save(email, None, _audit(email)) == "email_ocupado"
    assert store.index_page("tienda", True, "orden", "", limit=10)[0] == [("EMPRESA 001#1", "1")]


def test_versions_and_audit_entries_make_saves_safe_to_repeat(table: Any) -> None:
    store = DynamoCustomers(table)
    first = _customer(1)
    store.save(first, None, _audit(first))
    moved = first.model_copy(update={"zona": "Sur", "email": "nuevo@x.example", "version": 2})
    assert store.save(moved, first, _audit(first, "a2")) == "guardado"
    assert store.save(moved, first, _audit(first, "a3")) == "conflicto_version"
    assert store.save(moved, first, _audit(first, "a2")) == "ya_aplicado"
    assert store.holder("tienda", "EMAIL", "c1@x.example") is None  # released
    assert store.holder("tienda", "EMAIL", "nuevo@x.example") == "1"
    assert store.index_page("tienda", True, "zona", "NORTE", exact=True, limit=10)[0] == []
    assert [
        cid for _, cid in store.index_page("tienda", True, "zona", "SUR", exact=True, limit=10)[0]
    ] == ["1"]
    assert store.has_audit_entry("tienda", "1", "2026-11-20T16:00:00.000Z", "a2")
    assert [e.change_id for e in store.audit("tienda", "1")] == ["a2", "a1"]


def test_index_pages_come_in_order_and_go_on_from_a_sort_key(table: Any) -> None:
    store = DynamoCustomers(table)
    for n in range(1, 26):
        customer = _customer(n, zona="Norte" if n % 2 else "Sur")
        store.save(customer, None, _audit(customer))
    rows, last = store.index_page("tienda", True, "zona", "NORTE", exact=True, limit=5)
    assert [cid for _, cid in rows] == ["1", "3", "5", "7", "9"] and last is not None
    more, _ = store.index_page(
        "tienda", True, "zona", "NORTE", exact=True, limit=5, start_after=last
    )
    assert [cid for _, cid in more] == ["11", "13", "15", "17", "19"]
    prefix, _ = store.index_page("tienda", True, "palabra", "EMPRE", limit=100)
    assert len(prefix) == 25
    ids = [str(n) for n in range(25, 0, -1)] + ["999"]
    assert [c.customer_id for c in store.get_many("tienda", ids)] == ids[:-1]


def test_an_invoice_counts_once_and_jobs_round_trip(table: Any) -> None:
    from postventa.domain.customers import CustomerJob, CustomerQuery

    store = DynamoCustomers(table)
    first = _customer(1)
    store.save(first, None, _audit(first))
    order = CustomerOrder(
        channel="shopify",
        order_id="1001",
        order_number="#1001",
        paid_at="2026-11-20T15:00:00+00:00",
        total="599.00",
        currency="MXN",
    )
    assert store.link_order("tienda", "1", order)
    assert not store.link_order("tienda", "1", order)
    invoiced = order.model_copy(update={"invoice_uuid": "U-1", "invoice_folio": "F7"})
    assert store.record_invoice("tienda", "1", invoiced)
    assert not store.record_invoice("tienda", "1", invoiced)
    assert store.get("tienda", "1").invoice_count == 1
    assert store.orders("tienda", "1")[0].invoice_folio == "F7"
    job = CustomerJob(
        tenant_id="tienda",
        job_id="j1",
        kind="exportacion",
        created_at="x",
        created_by="a@b.example",
        query=CustomerQuery(zona="norte"),
    )
    store.put_job(job)
    assert store.get_job("tienda", "j1") == job
    assert store.get_job("otra", "j1") is None


def test_sessions_expire_by_their_own_dates_and_people_are_found_by_sub(table: Any) -> None:
    sessions = DynamoSessions(table)
    session = PanelSession(
        tenant_id="tienda",
        token_hash="h" * 64,
        user_id="sub-1",
        csrf="c",
        created_at="x",
        expires_at=2_000_000_000,
        idle_until=1_900_000_000,
    )
    sessions.create(session)
    assert sessions.get("tienda", "h" * 64) == session
    assert sessions.get("otra", "h" * 64) is None
    assert sessions.touch(session, 1_950_000_000)
    assert sessions.get("tienda", "h" * 64).idle_until == 1_950_000_000
    sessions.delete("tienda", "h" * 64)
    assert not sessions.touch(session, 1)
    users = DynamoSellerUsers(table)
    person = SellerUser(
        user_id="sub-1", tenant_id="tienda", email="a@b.example", role=Role.STAFF, created_at="x"
    )
    users.put(person)
    assert users.get("sub-1") == person
    assert users.list("tienda") == [person] and users.list("otra") == []


def test_orders_are_filtered_by_dates_channel_and_status_with_a_cursor(table: Any) -> None:
    clock = FakeClock()
    orders = DynamoOrders(table, clock)
    start = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)
    for n in range(12):
        # Offsets as channels give them: UTC and Mexico City's -06:00.
        paid = (start + timedelta(days=n)).astimezone(UTC if n % 2 else MEXICO_CITY)
        orders.add(builders.order(str(n), paid_at=paid))
        clock.advance(seconds=1)
    orders.apply(builders.order("3").ref, BILLING_REQUESTED)
    window = orders.search(
        "tienda",
        paid_from=datetime(2026, 11, 3, tzinfo=UTC),
        paid_to=datetime(2026, 11, 6, tzinfo=UTC),
        limit=2,
    )
    assert [o.order.order_id for o in window.orders] == ["4", "3"] and window.next_cursor
    rest = orders.search(
        "tienda",
        paid_from=datetime(2026, 11, 3, tzinfo=UTC),
        paid_to=datetime(2026, 11, 6, tzinfo=UTC),
        limit=2,
        cursor=window.next_cursor,
    )
    assert [o.order.order_id for o in rest.orders] == ["2"] and rest.next_cursor is None
    status = orders.search("tienda", status=OrderStatus.BILLING_REQUESTED)
    assert [o.order.order_id for o in status.orders] == ["3"]
    assert orders.search("tienda", channel="woocommerce").orders == []
    assert orders.search("otra").orders == []


def test_an_export_is_written_in_parts_and_read_back_whole(table: Any) -> None:
    client("s3").create_bucket(Bucket="docs")
    files = S3ExportFiles(client("s3"), "docs")
    writer = files.open("tienda", "exports/tienda/j1.csv", "text/csv")
    chunk = b"x" * (1024 * 1024)
    for _ in range(PART_BYTES // len(chunk) + 3):
        writer.write(chunk)
    writer.close()
    stored = client("s3").get_object(Bucket="docs", Key="exports/tienda/j1.csv")
    assert stored["ContentLength"] == (PART_BYTES // len(chunk) + 3) * len(chunk)
    assert "exports/tienda/j1.csv" in files.download_url(
        "tienda", "exports/tienda/j1.csv", "c.csv", 60
    )
    with pytest.raises(ValueError):  # another tenant's export is never opened nor linked
        files.download_url("otra", "exports/tienda/j1.csv", "c.csv", 60)
    with pytest.raises(ValueError):
        files.open("otra", "exports/tienda/j2.csv", "text/csv")
