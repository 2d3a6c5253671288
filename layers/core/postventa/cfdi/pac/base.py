"""The PAC port: what the product needs from any PAC, independent of the provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class StampResult:
    uuid: str
    xml: bytes  # the stamped CFDI, TimbreFiscalDigital included
    fecha_timbrado: datetime
    no_certificado_sat: str


class CancellationMotivo(StrEnum):
    WITH_SUBSTITUTE = "01"  # comprobante emitido con errores con relación (needs folio_sustitucion)
    WITHOUT_RELATION = "02"  # comprobante emitido con errores sin relación
    NOT_CARRIED_OUT = "03"  # no se llevó a cabo la operación
    GLOBAL_NOMINATIVE = "04"  # operación nominativa relacionada en una factura global


class CancellationStatus(StrEnum):
    PENDING = "pendiente"  # waiting for the receptor's acceptance
    ACCEPTED = "aceptada"  # cancelled
    REJECTED = "rechazada"
    EXPIRED = "plazo_vencido"  # receptor did not answer: SAT treats silence as acceptance


@dataclass(frozen=True)
class CancellationRequest:
    uuid: str
    rfc_emisor: str
    rfc_receptor: str
    total: Decimal
    motivo: CancellationMotivo
    folio_sustitucion: str | None = None
    signed_request: bytes | None = None  # the CSD-signed Cancelacion XML, when the PAC needs it


@dataclass(frozen=True)
class CancellationResult:
    uuid: str
    status: CancellationStatus
    requires_acceptance: bool
    acknowledgement: bytes | None = None  # PAC / SAT acuse
    detail: dict[str, str] = field(default_factory=dict)


class CfdiState(StrEnum):
    VALID = "vigente"
    CANCELLED = "cancelado"
    NOT_FOUND = "no_encontrado"


@dataclass(frozen=True)
class StatusResult:
    uuid: str
    state: CfdiState
    cancellation: CancellationStatus | None = None
    cancellable: str | None = None  # SAT's EsCancelable text, when known


class Pac(Protocol):
    """Every adapter raises PacTransientError / PacDataRejectedError / PacAuthError /
    PacNoCreditError (postventa.cfdi.errors), never a provider-specific exception.

    `now()` is the clock the PAC judges a CFDI's Fecha by and `waived_codes` the rules of SAT's
    table (postventa.cfdi.validation) it does not enforce: the pre-send check judges a document
    as the PAC will (a real PAC: the wall clock, nothing waived)."""

    name: str
    waived_codes: frozenset[str]

    def now(self) -> datetime: ...

    def stamp(self, cfdi_xml: bytes) -> StampResult: ...

    def cancel(self, request: CancellationRequest) -> CancellationResult: ...

    def status(
        self, uuid: str, rfc_emisor: str, rfc_receptor: str, total: Decimal
    ) -> StatusResult: ...
