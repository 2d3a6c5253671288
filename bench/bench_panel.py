"""The seller's panel with 100,000 customers and 100,000 orders: page latency (the Lambda handler
end to end: session, search, render) and the store's work per page; and a CSV export of 100,000
customers: time and peak memory.

Why not moto: moto answers every Query by scanning the whole table (moto/dynamodb/models/
table.py, `for item in self.all_items()`), so on moto a page's time grows with the table
whatever the keys do. The bench runs the handler on the unit tier's fakes instead, whose stores
keep each partition sorted and answer a query by bisection, as DynamoDB's B-trees do, and count
every index entry and record a page reads: the figure that makes DynamoDB's latency and cost.
Baseline (same run): the same pages on a shop of 1,000 customers and 1,000 orders; a page that
does not scan costs the same on both.

Export: the product's job (search pages of 500, csv per page, written part by part) into a
writer that only counts bytes (S3's multipart writer holds one 8 MiB part), against the named
baseline of loading every customer into a list and writing the whole CSV in memory; time and
tracemalloc peak for 10,000 and 100,000 customers.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

FIRST = ["MARIA", "JOSE", "JUAN", "ANA", "LUIS", "CARMEN", "JORGE", "ROSA", "PEDRO", "LAURA"]
LAST = ["GARCIA", "HERNANDEZ", "LOPEZ", "MARTINEZ", "GONZALEZ", "PEREZ", "RODRIGUEZ", "SANCHEZ",
        "RAMIREZ", "CRUZ", "FLORES", "GOMEZ", "MORALES", "VAZQUEZ", "REYES", "JIMENEZ"]  # fmt: skip
ZONES = ["Norte", "Sur", "Centro", "Oriente", "Poniente"]
SELLERS = ["Ana", "Beto", "Caro", "Dani", "Eli", "Fer", "Gabi", "Hugo"]
RUNS = 150


class SortedOrders:
    """The bench's order store: per-tenant lists sorted once (newest first), paged as the
    table's indexes page (at most 2,000 items read per page), reads counted."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.by_paid: list[Any] = []
        self.by_status: dict[Any, list[Any]] = {}
        self.reads = 0

    def freeze(self) -> None:
        records = list(self.fake.records.values())
        self.by_paid = sorted(records, key=lambda r: r.order.paid_at, reverse=True)
        for record in sorted(records, key=lambda r: r.status_changed_at, reverse=True):
            self.by_status.setdefault(record.status, []).append(record)

    def search(self, tenant_id: str, *, status: Any = None, channel: Any = None,
               paid_from: Any = None, paid_to: Any = None, limit: int = 25,
               cursor: str | None = None) -> Any:  # fmt: skip
        from postventa.domain.ports import OrderPage

        source = self.by_status.get(status, []) if status and not paid_from else self.by_paid
        start = int(cursor or 0)
        found = []
        for position in range(start, min(len(source), start + 2_000)):
            record = source[position]
            self.reads += 1
            if (status and record.status is not status) or (
                channel and record.order.channel.value != channel
            ):
                continue
            found.append(record)
            if len(found) == limit:
                return OrderPage(orders=found, next_cursor=str(position + 1))
        return OrderPage(orders=found)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fake, name)


def _shop(customers: int, orders: int) -> tuple[Any, Any, str]:
    """Fakes holding the shop, the panel's handler module on them, and a signed-in cookie."""
    from postventa.domain.accounts import Role, SellerUser
    from postventa.domain.customers import Customer
    from postventa.domain.status import BUYER_DATA_SUBMITTED, STAMPED, Transition
    from postventa.services import accounts
    from postventa.storage.customers import index_entries
    from tests.support import builders
    from tests.support.events import load_function
    from tests.support.fakes import FakeAdapters

    adapters = FakeAdapters()
    adapters.tenants.put(builders.tenant())
    now = "2026-11-20T16:00:00.000Z"
    partitions: dict[str, list[tuple[str, str]]] = {}
    for n in range(customers):
        first, last, second = FIRST[n % 10], LAST[n // 10 % 16], LAST[n // 160 % 16]
        customer = Customer(
            tenant_id="tienda", customer_id=str(n + 1), tipo_persona="fisica",
            nombre=f"{first} {last} {second}", primer_nombre=first, primer_apellido=last,
            segundo_apellido=second, rfc=f"{builders.moral_rfc(n)}X"[:4] + "900101AB1",
            email=f"cliente{n}@x.example", zona=ZONES[n % 5], vendedor=SELLERS[n % 8],
            regimen_fiscal="612", created_at=now, updated_at=now,
        )  # fmt: skip
        adapters.customers.records[("tienda", customer.customer_id)] = customer
        for pk, sk in index_entries(customer):
            partitions.setdefault(pk, []).append((sk, customer.customer_id))
    for rows in partitions.values():
        rows.sort()
    adapters.customers.index = partitions
    done = Transition("bench", frozenset(), STAMPED.target)  # any status, for the listing
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(orders):
        order = builders.order(str(n), paid_at=start + timedelta(minutes=n))
        adapters.orders.add(order)
        if n % 3 == 0:
            record = adapters.orders.records[order.ref]
            adapters.orders.records[order.ref] = record.model_copy(
                update={"status": BUYER_DATA_SUBMITTED.target if n % 2 else done.target}
            )
    store = SortedOrders(adapters.orders)
    store.freeze()
    adapters.orders = store  # type: ignore[assignment]
    user_id = adapters.identity.ensure_login("duena@tienda.example", "Barro-Rojo-2026")
    adapters.users.put(
        SellerUser(user_id=user_id, tenant_id="tienda", email="duena@tienda.example",
                   role=Role.OWNER, created_at=now)
    )  # fmt: skip
    started = accounts.sign_in("duena@tienda.example", "Barro-Rojo-2026", adapters, source_ip="1")
    assert isinstance(started, accounts.SessionStarted)
    module = load_function("panel")
    module.bootstrap = lambda: adapters
    return adapters, module, started.cookie


PAGES = [
    ("clientes, lista", "/panel/clientes"),
    ("clientes, palabra del nombre", "/panel/clientes?texto=vazquez"),
    ("clientes, zona y vendedor", "/panel/clientes?zona=norte&vendedor=ana"),
    ("cliente, ficha", "/panel/clientes/777"),
    ("pedidos, lista", "/panel/pedidos"),
    ("pedidos, facturados", "/panel/pedidos?estado=facturada"),
]


def _call(module: Any, cookie: str, path: str) -> int:
    from tests.support.events import LambdaContext, http_event

    route, _, query = path.partition("?")
    event = http_event(
        "GET", route, route="/panel/{proxy+}",
        query=dict(p.split("=", 1) for p in query.split("&")) if query else None,
    )  # fmt: skip
    event["cookies"] = [f"pv_sesion={cookie}"]
    response = module.handler(event, LambdaContext(function_name="panel"))
    return int(response["statusCode"])


def _page_figures(customers: int, orders: int) -> dict[str, tuple[float, float, int]]:
    """name -> (p50 ms, p99 ms, items read per page)."""
    adapters, module, cookie = _shop(customers, orders)
    figures = {}
    for name, path in PAGES:
        assert _call(module, cookie, path) == 200, path
        adapters.customers.reads = 0
        adapters.orders.reads = 0
        _call(module, cookie, path)
        reads = adapters.customers.reads + adapters.orders.reads
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            _call(module, cookie, path)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        figures[name] = (statistics.median(times), times[int(len(times) * 0.99) - 1], reads)
    return figures


class CountingExports:
    """S3 export stand-in that keeps nothing: bytes and the largest write are counted."""

    def __init__(self) -> None:
        self.bytes = 0
        self.largest = 0

    def open(self, key: str, content_type: str) -> CountingExports:
        return self

    def write(self, data: bytes) -> None:
        self.bytes += len(data)
        self.largest = max(self.largest, len(data))

    def close(self) -> None: ...

    def abort(self) -> None: ...

    def download_url(self, key: str, filename: str, seconds: int) -> str:
        return key


def _export(customers: int, *, measure_memory: bool) -> tuple[float, float, int]:
    """(seconds, peak MB, bytes) of the product's export."""
    from postventa.domain.accounts import Principal, Role
    from postventa.domain.customers import CustomerQuery
    from postventa.services import customer_jobs

    adapters, _, _ = _shop(customers, 0)
    exports = CountingExports()
    adapters.exports = exports  # type: ignore[assignment]
    owner = Principal("tienda", Role.OWNER, "user", "sub", "duena@tienda.example")
    job = customer_jobs.start_export(owner, CustomerQuery(), adapters)
    message = customer_jobs.JobMessage(tenant_id="tienda", job_id=job.job_id)
    return _timed(
        lambda: customer_jobs.run(message, adapters, time_left_ms=lambda: 900_000),
        measure_memory,
        lambda: exports.bytes,
    )


def _naive(customers: int, *, measure_memory: bool) -> tuple[float, float, int]:
    """Baseline: every customer in one list, the whole CSV built in memory, then written."""
    import csv
    import io

    from postventa.domain.customers import CustomerQuery
    from postventa.services import customer_jobs
    from postventa.services import customers as service

    adapters, _, _ = _shop(customers, 0)
    size = {"bytes": 0}

    def naive() -> None:
        everyone = []
        cursor = None
        while True:
            page = service.search("tienda", CustomerQuery(), adapters, cursor=cursor, limit=500,
                                  max_evaluated=5_000)  # fmt: skip
            everyone.extend(page.customers)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(customer_jobs.COLUMNS)
        writer.writerows(customer_jobs.row(c) for c in everyone)
        size["bytes"] = len(("\ufeff" + buffer.getvalue()).encode("utf-8"))

    return _timed(naive, measure_memory, lambda: size["bytes"])


def _timed(fn: Any, measure_memory: bool, size: Any) -> tuple[float, float, int]:
    if measure_memory:
        tracemalloc.start()
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if measure_memory else 0.0
    if measure_memory:
        tracemalloc.stop()
    return seconds, peak, int(size())


def _rows(
    values: Iterator[tuple[str, tuple[float, float, int], tuple[float, float, int]]],
) -> list[str]:
    lines = []
    for name, big, small in values:
        lines.append(
            f"  {name:<30} p50 {big[0]:6.2f} ms  p99 {big[1]:6.2f} ms  reads {big[2]:>5}   "
            f"| 1k: p50 {small[0]:6.2f} ms  p99 {small[1]:6.2f} ms  reads {small[2]:>5}   "
            f"(p99 {big[1] / small[1]:.2f}x)"
        )
    return lines


def run() -> str:
    setup = time.perf_counter()
    big = _page_figures(100_000, 100_000)
    small = _page_figures(1_000, 1_000)
    setup_s = time.perf_counter() - setup
    lines = [
        f"method: the panel's Lambda handler called {RUNS} times per page (sorted, p50 and p99), "
        "signed in, on the fakes' sorted stores (see the module docstring: moto scans every "
        f"query); reads = index entries + records + orders a page reads (setup {setup_s:.0f} s)",
        "baseline: the same pages on a shop of 1,000 customers and 1,000 orders",
        "",
        "100,000 customers and 100,000 orders:",
        *_rows((name, big[name], small[name]) for name, _ in PAGES),
        "",
        "export (job: search pages of 500, CSV per page, written part by part):",
    ]
    for count in (10_000, 100_000):
        seconds, _, size = _export(count, measure_memory=False)
        _, peak, _ = _export(count, measure_memory=True)
        naive_s, _, naive_size = _naive(count, measure_memory=False)
        _, naive_peak, _ = _naive(count, measure_memory=True)
        assert abs(size - naive_size) < 64, (size, naive_size)  # the same file
        lines.append(
            f"  {count:>7,} customers: {seconds:6.2f} s, peak {peak:6.1f} MB, "
            f"{size / 1e6:5.1f} MB of CSV  | baseline all in memory: {naive_s:6.2f} s, "
            f"peak {naive_peak:6.1f} MB"
        )
    lines.append(
        "  (peak = Python allocations during the export, tracemalloc; the fakes' records "
        "themselves are outside it)"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
