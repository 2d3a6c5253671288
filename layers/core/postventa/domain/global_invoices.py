"""A tenant's global invoices as the product tracks them: one *run* per period (and per later
re-issue of one of its CFDIs), each run one or more CFDIs of at most the tenant's cap.

A run is created once per (tenant, period, sequence): the first run of a period takes every
order of the period that went `global`; a later run of the same period exists only for orders
that reached `global` after the first was frozen (a late webhook) or to re-issue one CFDI without
the sales a buyer later asked to invoice (motivo 04). Its steps, each idempotent, so a retried,
crashed or doubled job never issues anything twice (docs/decisions/0015):

    claiming  -> ready -> issued
    (orders taken one conditional write each; then the run is frozen: which orders go in which
    CFDI is fixed and stored; then each CFDI is sealed, stored, stamped, delivered)
    cancelling -> ready -> issued   a re-issue: the replaced CFDI is cancelled first (motivo 04)

A problem (no CSD, no folios, the PAC's refusal) leaves the run at its step with the reason
(`error_*`), the seller told once per reason; the next scheduled run continues from there.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.global_periods import Period, Periodicidad
from postventa.domain.orders import OrderRef

# A run's worker holds a lease this long (longer than the worker's 15-minute timeout), so a
# second copy of the job waits instead of working the same run; a crashed worker's lease lapses.
RUN_LEASE_SECONDS = 16 * 60


class RunState(StrEnum):
    CLAIMING = "preparando"  # taking the period's orders
    CANCELLING = "cancelando"  # a re-issue: waiting for the replaced CFDI's cancellation
    READY = "lista"  # frozen: its CFDIs and their orders are fixed; stamping
    ISSUED = "emitida"  # every CFDI stamped, stored, recorded on its orders, sent to the seller


class CfdiState(StrEnum):
    PLANNED = "pendiente"
    SEALED = "sellada"  # sealed XML stored; it is the exact document a retry sends
    STAMPED = "timbrada"  # the PAC's stamp stored and the folio spent
    DELIVERED = "entregada"  # PDF stored, history written on each of its orders
    CANCELLED = "cancelada"  # replaced by a re-issue (motivo 04)


class ReplacedCfdi(BaseModel):
    """The CFDI a re-issue run replaces, and the sales it leaves out."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    index: int
    uuid: str
    removed: list[OrderRef] = Field(default_factory=list)


class GlobalRun(BaseModel):
    tenant_id: str
    run_id: str  # "{period key}#{seq:03d}"
    periodicity: Periodicidad
    first_day: date
    last_day: date
    seq: int = Field(ge=1)
    state: RunState
    created_at: str
    updated_at: str
    replaces: ReplacedCfdi | None = None
    cfdi_count: int = 0
    order_count: int = 0
    total: str = "0"
    error_code: str | None = None
    error_reason: str | None = None  # Spanish, for the seller
    error_action: str | None = None
    error_at: str | None = None
    notified: str | None = Field(None, description="the last error code the seller was told of")
    lease_until: int | None = None
    claim_started_at: str | None = None  # an attempt began taking orders (it may have died)
    issued_at: str | None = None
    emailed_at: str | None = None
    released_at: str | None = Field(None, description="a re-issue's removed sales let go")

    @property
    def period(self) -> Period:
        return Period(self.first_day, self.last_day, self.periodicity)

    @property
    def total_amount(self) -> Decimal:
        return Decimal(self.total)

    @property
    def has_steps_left(self) -> bool:
        """Not issued, or issued with its files not yet sent to the seller, or (a re-issue) with
        the sales it removed not yet let go."""
        if self.state is not RunState.ISSUED:
            return True
        if self.cfdi_count and not self.emailed_at:
            return True
        return self.replaces is not None and not self.released_at


def run_id_for(period: Period, seq: int) -> str:
    return f"{period.key}#{seq:03d}"


# A run's id: its period's key, then its sequence (run_id_for) or, for a re-issue, "R-" and the
# UUID of the CFDI it replaces, upper case (late_requests.reissue_run_id).
_RUN_ID = re.compile(
    r"(?P<period>[0-9]{4}-[0-9]{2}-[0-9]{2}\.0[1-5])#"
    r"(?:[0-9]{3,6}|R-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})"
)


def run_period_key(run_id: str) -> str | None:
    """The key of the period a run id names ("2026-11-01.04#001" -> "2026-11-01.04"), or None
    when the text is not a run id (what a bus event carries is checked before it names keys)."""
    match = _RUN_ID.fullmatch(run_id)
    return match["period"] if match else None


class GlobalCfdi(BaseModel):
    """One CFDI of a run (its orders are listed in the run's manifest, in S3)."""

    tenant_id: str
    run_id: str
    index: int = Field(ge=0)
    state: CfdiState = CfdiState.PLANNED
    order_count: int
    total: str
    folio: int | None = None
    serie: str = ""
    sealed_key: str | None = None
    sealed_at: str | None = None
    uuid: str | None = None
    stamped_at: str | None = None
    xml_key: str | None = None
    pdf_key: str | None = None
    test_stamp: bool = False
    replaced_by: str | None = Field(None, description="the run that re-issues it (motivo 04)")
