"""Shared by the global-invoice tests: the simulated clock's fakes, a counting sandbox PAC,
orders that went `global`, and reading what was stamped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from postventa.cfdi.pac.sandbox import SandboxPac
from postventa.domain.global_periods import tenant_period, tenant_zone
from postventa.domain.orders import Order
from postventa.domain.status import DEADLINE_PASSED, OrderStatus
from postventa.domain.tenants import GlobalInvoiceSettings, Tenant
from tests.support import builders
from tests.support.fakes import FakeAdapters

CFDI = "{http://www.sat.gob.mx/cfd/4}"


class CountingPac:
    """The sandbox PAC, counting what reaches it (and able to die once after answering)."""

    def __init__(self, pac: SandboxPac) -> None:
        self.pac = pac
        self.name = pac.name
        self.stamps = 0
        self.die_after: int | None = None

    def stamp(self, xml: bytes) -> Any:
        result = self.pac.stamp(xml)
        self.stamps += 1
        if self.die_after is not None and self.stamps == self.die_after:
            self.die_after = None
            raise RuntimeError("el proceso murió después de la respuesta del PAC")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pac, name)

    def uuids(self) -> set[str]:
        return set(self.pac.store._records)  # type: ignore[attr-defined]


def global_tenant(tenant_id: str = "tienda", **settings: Any) -> Tenant:
    return builders.invoicing_tenant(tenant_id, global_invoice=GlobalInvoiceSettings(**settings))


def global_adapters() -> FakeAdapters:
    """Fakes on a simulated clock (2026-11-01 12:00 UTC) with the sandbox PAC on the same clock,
    and the builders' tenant ready to invoice, monthly, with 500 folios."""
    fake = FakeAdapters()
    fake.clock.current = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    # The simulated clock runs the PAC's too; the generated CSD's vigencia starts today, so the
    # sandbox does not check it against these dates.
    fake.pacs.pac = CountingPac(SandboxPac(clock=fake.clock.now, check_certificate_validity=False))
    fake.tenants.put(global_tenant())
    fake.credentials.put_csd("tienda", builders.issuer_csd().credentials())
    fake.folios.add("tienda", 500)
    return fake


def pac(adapters: FakeAdapters) -> CountingPac:
    found: CountingPac = adapters.pacs.pac
    return found


def sell(
    adapters: FakeAdapters, order_id: str, paid_at: datetime, *, tenant_id: str = "tienda"
) -> Order:
    """A paid order whose buyer never asked: the lifecycle moved it to `global`."""
    order = builders.order(
        order_id, tenant_id=tenant_id, paid_at=paid_at, payment_method="credit_card"
    )
    adapters.orders.add(order)
    assert adapters.orders.apply(order.ref, DEADLINE_PASSED)
    return order


def status(adapters: FakeAdapters, order: Order) -> OrderStatus:
    record = adapters.orders.get(order.ref)
    assert record is not None
    return record.status


def after_issue_time(adapters: FakeAdapters, tenant_id: str = "tienda", hours: int = 3) -> None:
    """The clock at `hours` after the close of the current period."""
    tenant = adapters.tenants.get(tenant_id)
    assert tenant is not None
    period = tenant_period(tenant, adapters.clock.now())
    adapters.clock.current = period.ends_at(tenant_zone(tenant)) + timedelta(hours=hours)


def stamped_xml(adapters: FakeAdapters, tenant_id: str, run_id: str) -> list[Any]:
    cfdis = adapters.global_invoices.cfdis(tenant_id, run_id)
    return [etree.fromstring(adapters.documents.get(c.tenant_id, c.xml_key or "")) for c in cfdis]
