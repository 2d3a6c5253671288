"""The cancellations the product asked for, followed until SAT's answer is final.

One record per cancelled CFDI (its UUID): an order's invoice the seller cancels (motivo 01 with a
substitute issued first, 02, 03; 04 for an order's own one-sale global invoice), or a CFDI of a
global invoice the product re-issues without sales buyers later asked to invoice (motivo 04).

    solicitada -> pendiente -> aceptada | rechazada | plazo_vencido
    sustituyendo -> solicitada ...          (motivo 01: the substitute is stamped first)
    solicitada | sustituyendo -> no_procede (the PAC or SAT refused the request: still valid)

`pendiente` waits for the receptor (RMF 2.7.1.35: three business days, silence is acceptance);
the scheduled check asks the PAC until the answer is final. A request the PAC could not take yet
(an outage) stays `solicitada` and the check sends it again.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.invoices import CancellationView
from postventa.domain.orders import OrderRef


class CancellationState(StrEnum):
    SUBSTITUTING = "sustituyendo"  # motivo 01: the substitute is issued before the request
    REQUESTED = "solicitada"  # recorded; the PAC has not taken it yet
    PENDING = "pendiente"  # the PAC took it; the receptor has to accept
    ACCEPTED = "aceptada"  # cancelled
    REJECTED = "rechazada"  # the receptor rejected it: the invoice stays valid
    EXPIRED = "plazo_vencido"  # the receptor did not answer in time: cancelled (silence accepts)
    REFUSED = "no_procede"  # the PAC or SAT refused the request itself: the invoice stays valid

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def cancelled(self) -> bool:
        """The CFDI is cancelled for SAT."""
        return self in (CancellationState.ACCEPTED, CancellationState.EXPIRED)


_FINAL = frozenset(
    {
        CancellationState.ACCEPTED,
        CancellationState.REJECTED,
        CancellationState.EXPIRED,
        CancellationState.REFUSED,
    }
)


class GlobalCfdiKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    index: int


class InvoiceCancellation(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    tenant_id: str
    uuid: str
    motivo: str = Field(pattern=r"^0[1-4]$")
    state: CancellationState
    request_id: str = Field(description="this request's own id (a UUID may be asked again)")
    requested_at: str
    updated_at: str
    xml_key: str = Field(description="the cancelled CFDI's stamped XML (documents bucket)")
    order: OrderRef | None = None  # the order whose invoice this is
    global_cfdi: GlobalCfdiKey | None = None  # or the global invoice's CFDI
    substitute_uuid: str | None = None
    # Motivo 01: the buyer's fiscal data as the substitute carries it (corrected by the seller).
    substitute_data: dict[str, Any] | None = None
    requires_acceptance: bool | None = None
    respond_by: str | None = None  # Mexico City wall time, ISO, end of the receptor's 3 days
    decided_at: str | None = None
    decided_by: str | None = None  # "pac" (SAT's answer) or "plazo" (inferred from the clock)
    reason: str | None = None  # Spanish: why it was refused or rejected
    attempts: int = 0
    version: int = 0  # optimistic concurrency: every save expects the version it read

    def view(self) -> CancellationView:
        return CancellationView(
            uuid=self.uuid,
            motivo=self.motivo,
            estado=self.state.value,
            solicitada=self.requested_at,
            sustituto=self.substitute_uuid,
            responder_antes_de=self.respond_by,
            decidida=self.decided_at,
            motivo_rechazo=self.reason,
        )
