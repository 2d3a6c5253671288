"""The periodic global invoice with fakes, the real engine and the sandbox PAC on a simulated
clock: one global per period with the right InformacionGlobal, exactly once through retries,
crashes and double runs; the cap split with a folio per CFDI; problems the seller fixes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from postventa.domain.global_invoices import CfdiState, RunState
from postventa.domain.global_periods import Periodicidad, answer_by, tenant_period, tenant_zone
from postventa.domain.orders import Order
from postventa.domain.status import DEADLINE_PASSED, OrderStatus
from postventa.services import global_invoices, scheduled_jobs
from postventa.services.scheduled_jobs import JobMessage
from tests.support import builders
from tests.support.fakes import FakeAdapters
from tests.support.global_invoices import (
    CFDI,
    after_issue_time,
    global_adapters,
    global_tenant,
    pac,
    sell,
    stamped_xml,
    status,
)


@pytest.fixture
def adapters() -> FakeAdapters:
    return global_adapters()


# ------------------------------------------------------------------------------- a month
def run_jobs(adapters: FakeAdapters, job: str = "global_invoices") -> list[dict[str, Any]]:
    """The schedule fires: one message per tenant, each run by the fiscal worker."""
    scheduled_jobs.fan_out(job, adapters)
    return [
        scheduled_jobs.run_job(JobMessage.model_validate_json(body), "fiscal", adapters)
        for body in adapters.jobs.take("fiscal")
    ]


def test_a_month_of_orders_for_two_tenants_gives_one_global_per_period_each(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(global_tenant("diaria", periodicity=Periodicidad.DIARIA))
    adapters.credentials.put_csd("diaria", builders.issuer_csd().credentials())
    adapters.folios.add("diaria", 100)
    start = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    sales: list[Order] = []
    for day in range(30):
        for tenant_id, hour in (("tienda", 15), ("diaria", 15), ("diaria", 23)):
            paid = start + timedelta(days=day, hours=hour - 12)
            order = builders.order(
                f"{tenant_id[0]}{day}-{hour}",
                tenant_id=tenant_id,
                paid_at=paid,
                payment_method="credit_card",
                total_paid=Decimal("599.00") + day,
                shipping=Decimal("99.00") + day,
            )
            adapters.orders.add(order)
            sales.append(order)
    # Every hour for 32 days: the lifecycle's deadline moves unanswered orders to `global`,
    # then the hourly schedule runs (fanned out per tenant).
    adapters.clock.current = start
    issued_at: dict[str, datetime] = {}
    while adapters.clock.now() < start + timedelta(days=32):
        for order in sales:
            tenant = adapters.tenants.get(order.tenant_id)
            assert tenant is not None
            if answer_by(tenant, order.paid_at) <= adapters.clock.now():
                adapters.orders.apply(order.ref, DEADLINE_PASSED)
        for result in run_jobs(adapters):
            for run in result["runs"]:
                if run["state"] == "emitida":
                    issued_at.setdefault(run["run_id"], adapters.clock.now())
        adapters.clock.advance(hours=1)

    daily = [r for r in adapters.global_invoices.runs.values() if r.tenant_id == "diaria"]
    monthly = [r for r in adapters.global_invoices.runs.values() if r.tenant_id == "tienda"]
    assert len(daily) == 30 and len(monthly) == 1
    for run in daily + monthly:
        assert run.state is RunState.ISSUED and run.cfdi_count == 1
        tenant = adapters.tenants.get(run.tenant_id)
        assert tenant is not None
        close = run.period.ends_at(tenant_zone(tenant))
        # Issued after the close and within SAT's 24 hours (RMF 2.7.1.21).
        assert close < issued_at[run.run_id] <= close + timedelta(hours=24)
        [root] = stamped_xml(adapters, run.tenant_id, run.run_id)
        info = root.find(f"{CFDI}InformacionGlobal")
        assert info is not None and info.get("Meses") == "11" and info.get("Año") == "2026"
        expected = "01" if run.tenant_id == "diaria" else "04"
        assert info.get("Periodicidad") == expected
        mine = [
            o
            for o in sales
            if o.tenant_id == run.tenant_id and run.period.contains(_local_day(adapters, o))
        ]
        assert Decimal(root.get("Total")) == sum((o.total_paid for o in mine), Decimal(0))
        numbers = {c.get("NoIdentificacion") for c in root.iter(f"{CFDI}Concepto")}
        assert numbers == {o.display_number for o in mine}
    assert all(status(adapters, o) is OrderStatus.IN_GLOBAL_INVOICE for o in sales)
    stamps = pac(adapters).stamps
    assert stamps == 31 and adapters.folios.spent("diaria") == 30
    # The schedule firing again (twice) issues nothing more.
    run_jobs(adapters)
    run_jobs(adapters)
    assert pac(adapters).stamps == stamps and len(adapters.global_invoices.runs) == 31


def _local_day(adapters: FakeAdapters, order: Order) -> Any:
    tenant = adapters.tenants.get(order.tenant_id)
    assert tenant is not None
    return order.paid_at.astimezone(tenant_zone(tenant)).date()


# ------------------------------------------------------------------------------- one period
def test_a_period_split_by_the_cap_gets_a_folio_per_cfdi_and_the_uuid_on_each_order(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(global_tenant(max_concepts=3))
    orders = [sell(adapters, str(i), datetime(2026, 11, 5 + i, 15, tzinfo=UTC)) for i in range(7)]
    after_issue_time(adapters)
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert (report.state, report.cfdis, report.orders) == ("emitida", 3, 7)
    cfdis = adapters.global_invoices.cfdis("tienda", report.run_id)
    assert [c.order_count for c in cfdis] == [3, 3, 1]
    assert len({c.folio for c in cfdis}) == 3 and adapters.folios.spent("tienda") == 3
    roots = stamped_xml(adapters, "tienda", report.run_id)
    assert [r.get("Folio") for r in roots] == [str(c.folio) for c in cfdis]
    assert sum(Decimal(r.get("Total")) for r in roots) == Decimal("599.00") * 7
    for root in roots:
        receptor = root.find(f"{CFDI}Receptor")
        assert receptor is not None and receptor.get("Rfc") == "XAXX010101000"
        assert receptor.get("Nombre") == "PUBLICO EN GENERAL"
    # Each order: in the global, the UUID of its own CFDI in its history.
    by_uuid = {c.uuid: c for c in cfdis}
    for order in orders:
        assert status(adapters, order) is OrderStatus.IN_GLOBAL_INVOICE
        [entry] = [
            h
            for h in adapters.orders.history(order.ref)
            if h.event_type == "IncludedInGlobalInvoice"
        ]
        cfdi = by_uuid[entry.detail["uuid"]]
        refs = global_invoices.read_manifest(adapters, "tienda", report.run_id, cfdi.index)
        assert order.ref in refs
    # The seller gets the XML and PDF of every CFDI.
    [email] = adapters.mailer.sent
    assert email.to == "vendedor@tienda.example" and "Factura global de noviembre de 2026" in (
        email.subject
    )
    assert sorted(a.filename for a in email.attachments) == sorted(
        f"T{c.folio}.{kind}" for c in cfdis for kind in ("xml", "pdf")
    )
    assert all(c.state is CfdiState.DELIVERED and c.pdf_key for c in cfdis)
    assert "GlobalInvoiceStamped" in adapters.events.types()


def test_nothing_is_issued_before_the_period_closes_and_its_delay_passes(
    adapters: FakeAdapters,
) -> None:
    sell(adapters, "1", datetime(2026, 11, 5, 15, tzinfo=UTC))
    close = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # November ends at midnight in Pachuca
    for moment in (close - timedelta(hours=1), close + timedelta(hours=1, minutes=59)):
        adapters.clock.current = moment
        assert global_invoices.run_for_tenant("tienda", adapters).runs == []
    adapters.clock.current = close + timedelta(hours=2, minutes=1)
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert report.state == "emitida"


def test_a_process_dying_after_the_pac_answered_issues_nothing_twice(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(global_tenant(max_concepts=2))
    for i in range(5):
        sell(adapters, str(i), datetime(2026, 11, 10, 15, i, tzinfo=UTC))
    after_issue_time(adapters)
    pac(adapters).die_after = 2  # the second CFDI is stamped, then the worker dies
    with pytest.raises(RuntimeError, match="murió"):
        global_invoices.run_for_tenant("tienda", adapters)
    [run] = adapters.global_invoices.runs.values()
    assert run.state is RunState.READY
    adapters.clock.advance(hours=1)  # the next hourly run
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert (report.state, report.cfdis) == ("emitida", 3)
    # The second CFDI was sent again as the same bytes: the PAC gave back the same stamp.
    assert len(pac(adapters).uuids()) == 3 and len(set(report.uuids)) == 3
    assert adapters.folios.spent("tienda") == 3
    assert adapters.folios.account("tienda").available == 497
    assert len(adapters.mailer.sent) == 1


def test_a_crash_while_taking_the_orders_is_carried_on_by_the_next_run(
    adapters: FakeAdapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = [sell(adapters, str(i), datetime(2026, 11, 10, 15, i, tzinfo=UTC)) for i in range(6)]
    after_issue_time(adapters)
    real = adapters.orders.apply_many

    def dies_half_way(refs: Any, transition: Any, **kw: Any) -> list[Any]:
        real(refs[:3], transition, **kw)
        raise RuntimeError("el proceso murió tomando pedidos")

    monkeypatch.setattr(adapters.orders, "apply_many", dies_half_way)
    with pytest.raises(RuntimeError):
        global_invoices.run_for_tenant("tienda", adapters)
    monkeypatch.setattr(adapters.orders, "apply_many", real)
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert (report.state, report.orders, report.cfdis) == ("emitida", 6, 1)
    assert len(adapters.global_invoices.runs) == 1 and pac(adapters).stamps == 1
    assert all(status(adapters, o) is OrderStatus.IN_GLOBAL_INVOICE for o in orders)


def test_a_second_copy_of_the_job_leaves_a_run_another_worker_holds(
    adapters: FakeAdapters,
) -> None:
    sell(adapters, "1", datetime(2026, 11, 10, 15, tzinfo=UTC))
    after_issue_time(adapters)
    tenant = adapters.tenants.get("tienda")
    assert tenant is not None
    period = tenant_period(tenant, datetime(2026, 11, 10, tzinfo=UTC))
    holder: list[Any] = []
    real_lease = adapters.global_invoices.lease

    def first_worker_holds(*args: Any, **kw: Any) -> Any:
        leased = real_lease(*args, **kw)
        if not holder:  # while the first worker works, a second copy of the job arrives
            holder.append(leased)
            holder.append(global_invoices.issue_period(tenant, period, adapters))
        return leased

    adapters.global_invoices.lease = first_worker_holds  # type: ignore[method-assign]
    first = global_invoices.issue_period(tenant, period, adapters)
    second = holder[1]
    assert second.busy and second.state == "preparando"
    assert first.state == "emitida" and pac(adapters).stamps == 1


def test_an_order_reaching_global_after_its_period_was_frozen_gets_a_second_run(
    adapters: FakeAdapters,
) -> None:
    sell(adapters, "1", datetime(2026, 11, 10, 15, tzinfo=UTC))
    after_issue_time(adapters)
    [first] = global_invoices.run_for_tenant("tienda", adapters).runs
    late = sell(adapters, "2", datetime(2026, 11, 30, 23, tzinfo=UTC))  # a late webhook
    adapters.clock.advance(hours=1)
    [second] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert first.run_id.endswith("#001") and second.run_id.endswith("#002")
    assert (second.state, second.orders) == ("emitida", 1)
    assert status(adapters, late) is OrderStatus.IN_GLOBAL_INVOICE
    assert global_invoices.run_for_tenant("tienda", adapters).runs == []


# ------------------------------------------------------------------------------- problems
def test_a_tenant_without_csd_gets_the_reason_once_and_the_next_run_issues_it(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(global_tenant("otra"))
    adapters.folios.add("otra", 10)  # no CSD stored for it
    sell(adapters, "1", datetime(2026, 11, 10, 15, tzinfo=UTC))
    sell(adapters, "2", datetime(2026, 11, 10, 15, tzinfo=UTC), tenant_id="otra")
    after_issue_time(adapters)
    results = {r["runs"][0]["tenant_id"]: r["runs"][0] for r in run_jobs(adapters)}
    assert results["tienda"]["state"] == "emitida"  # the other tenant's global goes out
    failed = results["otra"]
    assert failed["error_code"] == "csd_faltante" and "CSD" in failed["error_reason"]
    notices = [e for e in adapters.mailer.sent if "No pudimos emitir" in e.subject]
    assert len(notices) == 1 and "CSD" in notices[0].text
    adapters.clock.advance(hours=1)
    run_jobs(adapters)
    assert len([e for e in adapters.mailer.sent if "No pudimos emitir" in e.subject]) == 1
    adapters.credentials.put_csd("otra", builders.issuer_csd().credentials())
    adapters.clock.advance(hours=1)
    results = {r["tenant_id"]: r for r in (x["runs"][0] for x in run_jobs(adapters) if x["runs"])}
    assert results["otra"]["state"] == "emitida" and results["otra"]["error_code"] is None


def test_without_folios_the_run_waits_and_goes_out_once_folios_are_added(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(global_tenant("seca"))
    adapters.credentials.put_csd("seca", builders.issuer_csd().credentials())
    sell(adapters, "1", datetime(2026, 11, 10, 15, tzinfo=UTC), tenant_id="seca")
    after_issue_time(adapters, "seca")
    [report] = global_invoices.run_for_tenant("seca", adapters).runs
    assert report.error_code == "sin_folios" and report.state == "lista"
    adapters.folios.add("seca", 5)
    [report] = global_invoices.run_for_tenant("seca", adapters).runs
    assert report.state == "emitida" and report.error_code is None
    assert adapters.folios.spent("seca") == 1


def test_a_pac_outage_is_recorded_without_bothering_the_seller_and_retried(
    adapters: FakeAdapters,
) -> None:
    sell(adapters, "1", datetime(2026, 11, 10, 15, tzinfo=UTC))
    after_issue_time(adapters)
    pac(adapters).pac.faults.outage = True
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert report.error_code == "pac_no_disponible"
    assert not [e for e in adapters.mailer.sent if "No pudimos" in e.subject]
    pac(adapters).pac.faults.outage = False
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert report.state == "emitida"


def test_the_preview_lists_what_the_period_would_take(adapters: FakeAdapters) -> None:
    sell(adapters, "7", datetime(2026, 11, 2, 15, tzinfo=UTC))
    sell(adapters, "3", datetime(2026, 11, 1, 15, tzinfo=UTC))
    sell(adapters, "9", datetime(2026, 12, 1, 15, tzinfo=UTC))  # December: another period
    tenant = adapters.tenants.get("tienda")
    assert tenant is not None
    seen = global_invoices.preview(
        tenant, tenant_period(tenant, datetime(2026, 11, 5, tzinfo=UTC)), adapters
    )
    assert (seen.orders, seen.total, seen.first, seen.last) == (2, Decimal("1198.00"), "#3", "#7")


def test_the_fan_out_queues_one_message_per_tenant_on_the_jobs_queue(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(global_tenant("otra"))
    assert scheduled_jobs.fan_out("reminders", adapters) == {"job": "reminders", "tenants": 2}
    queued = [json.loads(b) for b in adapters.jobs.take("tenant")]
    assert queued == [
        {"job": "reminders", "tenant_id": "otra"},
        {"job": "reminders", "tenant_id": "tienda"},
    ]
    scheduled_jobs.fan_out("global_invoices", adapters)
    assert len(adapters.jobs.take("fiscal")) == 2
    with pytest.raises(scheduled_jobs.UnknownJobError):
        scheduled_jobs.fan_out("no_existe", adapters)
    # A message on the wrong worker's queue would run without the layer it needs.
    with pytest.raises(scheduled_jobs.UnknownJobError):
        scheduled_jobs.run_job(
            JobMessage(job="global_invoices", tenant_id="tienda"), "tenant", adapters
        )


def test_a_period_of_ten_thousand_orders_is_split_by_a_cap_of_a_thousand(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(global_tenant(max_concepts=1000))
    paid = datetime(2026, 11, 10, 15, tzinfo=UTC)
    for i in range(10_000):
        order = builders.order(
            str(i),
            paid_at=paid,
            payment_method="credit_card",
            total_paid=Decimal("599.00") + i % 7,
            shipping=Decimal("99.00") + i % 7,
        )
        adapters.orders.add(order)
        adapters.orders.apply(order.ref, DEADLINE_PASSED)
    after_issue_time(adapters)
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert (report.state, report.orders, report.cfdis) == ("emitida", 10_000, 10)
    cfdis = adapters.global_invoices.cfdis("tienda", report.run_id)
    assert [c.order_count for c in cfdis] == [1000] * 10
    roots = stamped_xml(adapters, "tienda", report.run_id)
    assert all(len(list(r.iter(f"{CFDI}Concepto"))) == 1000 for r in roots)
    expected = sum((Decimal("599.00") + i % 7 for i in range(10_000)), Decimal(0))
    assert sum(Decimal(r.get("Total")) for r in roots) == expected
    assert adapters.folios.spent("tienda") == 10 and len({c.folio for c in cfdis}) == 10


def test_a_pac_account_without_credit_is_the_sellers_to_fix(adapters: FakeAdapters) -> None:
    from postventa.cfdi.pac.sandbox import InMemorySandboxStore

    pac(adapters).pac.store = InMemorySandboxStore(folios=0)  # the PAC's own stamps ran out
    sell(adapters, "1", datetime(2026, 11, 10, 15, tzinfo=UTC))
    after_issue_time(adapters)
    [report] = global_invoices.run_for_tenant("tienda", adapters).runs
    assert report.error_code == "pac_sin_timbres" and report.state == "lista"
    [notice] = [e for e in adapters.mailer.sent if "No pudimos emitir" in e.subject]
    assert "timbres" in notice.text
