"""CFDI cancellation: motivo rules, the CSD-signed request, the SAT acceptance rule, and the
tracked cancellation state (pendiente -> aceptada | rechazada | plazo_vencido).

Acceptance rule: RMF regla 2.7.1.35 ("Cancelación de CFDI sin aceptación del receptor"), as
published in the current Resolución Miscelánea Fiscal (text read at leyesmx.pages.dev/rmf/articulo/
2.7.1.35 and soporte.mysuitemex.com; numbering has been 2.7.1.35 since RMF 2022). The receptor's
acceptance is NOT needed for:
  I.    totals up to $1,000.00 MXN (except CFDI de pagos, regla 2.7.1.32, and the CFDI referred
        to in regla 2.7.1.34 third paragraph);
  II.   nómina;  III. egresos;  IV. traslado (except Carta Porte with fuel keys);
  V.    ingresos issued to RIF taxpayers (regime gone since 2022: not modelled);
  VI.   retenciones e información de pagos (not a CFDI 4.0 Comprobante: not modelled);
  VII.  operations with the público en general (regla 2.7.1.21: RFC XAXX010101000);
  VIII. residents abroad (regla 2.7.1.23: RFC XEXX010101000);
  IX.   cancellation no later than the business day after issuance;
  plus fractions for the sector primario and the financial system (not modelled).
Otherwise the receptor has 3 business days to answer; silence counts as acceptance (CFF 29-A).
Deadline: CFF art. 29-A, fourth paragraph (text in force since 2026; before, LIF 2025 art. 22
fr. VI and RMF 2025 regla 2.7.1.46, numbered 2.7.1.47 in RMF 2022-2024): a CFDI can be cancelled
at the latest in the month in which the annual ISR return of the year it was issued is due, to
that month's last day: March of the next year for personas morales (LISR art. 76, fr. V) and April
for personas físicas (LISR art. 150). The RFC's length tells which (12 moral, 13 física).
Motivo 04 ("operación nominativa relacionada en una factura global") only cancels a global
invoice (SAT's cancellation guide, Anexo 20 catálogo c_Motivo / Guía de llenado del CFDI global).

Doubts: the exact scope of the "2.7.1.34 third paragraph" exception (we treat any tipo I above the
threshold as needing acceptance, which is the safe side), and which days the SAT counts as
inhábiles beyond CFF art. 12 (SAT vacation periods are declared each year in regla 2.1.6: pass them
as `extra_holidays`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from postventa.cfdi.errors import CfdiError
from postventa.cfdi.pac.base import (
    CancellationMotivo,
    CancellationRequest,
    CancellationResult,
    CancellationStatus,
    CfdiState,
    StatusResult,
)
from postventa.cfdi.relations import is_uuid
from postventa.cfdi.timezones import mexico_city_local

ACCEPTANCE_THRESHOLD_MXN = Decimal("1000.00")
RECEPTOR_PUBLICO_EN_GENERAL = "XAXX010101000"
RECEPTOR_EXTRANJERO = "XEXX010101000"
RESPONSE_BUSINESS_DAYS = 3
TIPOS_WITHOUT_ACCEPTANCE = frozenset({"E", "N", "T"})  # egreso, nómina, traslado


class CancellationRequestError(CfdiError):
    """The cancellation asked for breaks a SAT rule (motivo/sustituto)."""

    code = "cancelacion_invalida"


class CancellationDeadlineError(CancellationRequestError):
    """CFF 29-A: past the month the issuing year's annual return is due."""

    code = "cancelacion_fuera_de_plazo"


class GlobalOnlyMotivoError(CancellationRequestError):
    """Motivo 04 asked for a CFDI that is not a global invoice."""

    code = "motivo_04_solo_factura_global"


# ---------------------------------------------------------------------------------------------
# Mexico time
# ---------------------------------------------------------------------------------------------


def mexico_local(moment: datetime) -> datetime:
    """Aware -> naive Mexico City wall time (SAT's cancellation service runs on it); a naive
    datetime is taken as Mexico City's already."""
    return mexico_city_local(moment)


# ---------------------------------------------------------------------------------------------
# Business days (CFF art. 12)
# ---------------------------------------------------------------------------------------------


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (0 - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


@cache
def cff_holidays(year: int) -> frozenset[date]:
    """Días inhábiles of CFF art. 12 (besides weekends) for `year`."""
    days = {
        date(year, 1, 1),
        _nth_monday(year, 2, 1),  # 5 de febrero
        _nth_monday(year, 3, 3),  # 21 de marzo
        date(year, 5, 1),
        date(year, 9, 16),
        _nth_monday(year, 11, 3),  # 20 de noviembre
        date(year, 12, 25),
    }
    if (year - 2024) % 6 == 0:  # 1 de octubre, transmisión del Poder Ejecutivo (2024, 2030...)
        days.add(date(year, 10, 1))
    return frozenset(days)


def is_business_day(day: date, extra_holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in cff_holidays(day.year) and day not in extra_holidays


def add_business_days(day: date, count: int, extra_holidays: frozenset[date] = frozenset()) -> date:
    """The `count`-th business day after `day` (count >= 1)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, extra_holidays):
            remaining -= 1
    return current


# ---------------------------------------------------------------------------------------------
# Motivo rules and the signed request
# ---------------------------------------------------------------------------------------------


def validate_motivo(
    uuid: str,
    motivo: CancellationMotivo | str,
    folio_sustitucion: str | None,
    *,
    es_global: bool | None = None,
) -> CancellationMotivo:
    """Motivo 01 needs the UUID that replaces the cancelled CFDI; 02-04 must not carry one;
    motivo 04 only for a global invoice (`es_global`; None: not known here, not checked)."""
    try:
        motivo = CancellationMotivo(motivo)
    except ValueError as exc:
        raise CancellationRequestError(
            "El motivo de cancelación debe ser 01, 02, 03 o 04.",
            details={"motivo": [f"Motivo no válido: {motivo}"]},
        ) from exc
    sustituto = (folio_sustitucion or "").strip()
    if motivo is CancellationMotivo.WITH_SUBSTITUTE:
        if not sustituto:
            raise CancellationRequestError(
                "El motivo 01 requiere el folio fiscal (UUID) del CFDI que sustituye al cancelado; "
                "emite primero el CFDI de reemplazo.",
                details={"folio_sustitucion": ["Requerido para el motivo 01."]},
            )
        if not is_uuid(sustituto):
            raise CancellationRequestError(
                "El folio fiscal sustituto no tiene formato de UUID.",
                details={"folio_sustitucion": ["Formato de UUID inválido."]},
            )
        if sustituto.upper() == uuid.strip().upper():
            raise CancellationRequestError(
                "El CFDI sustituto no puede ser el mismo que se cancela.",
                details={"folio_sustitucion": ["Debe ser otro UUID."]},
            )
    elif sustituto:
        raise CancellationRequestError(
            f"Solo el motivo 01 lleva folio sustituto; el motivo {motivo.value} no debe llevarlo.",
            details={"folio_sustitucion": ["No aplica para este motivo."]},
        )
    if motivo is CancellationMotivo.GLOBAL_NOMINATIVE and es_global is False:
        raise GlobalOnlyMotivoError(
            "El motivo 04 (operación nominativa relacionada en una factura global) solo cancela "
            "una factura global; para este CFDI usa el motivo 01, 02 o 03.",
            details={"motivo": ["Solo para factura global."]},
        )
    return motivo


def cancellation_deadline(issued_at: datetime | date, rfc_emisor: str) -> date:
    """Last day a CFDI can be cancelled (CFF 29-A): the end of the month the issuer's annual
    return for the year of issue is due: March 31 (persona moral) or April 30 (persona física)
    of the following year. `issued_at` is the CFDI's Fecha."""
    year = issued_at.year + 1
    if len(rfc_emisor.strip()) == 12:  # persona moral
        return date(year, 3, 31)
    return date(year, 4, 30)


def check_cancellation_deadline(
    issued_at: datetime | date, rfc_emisor: str, requested_at: datetime
) -> None:
    """CancellationDeadlineError when `requested_at` (Mexico City's calendar day) is past the
    deadline of the CFDI issued at `issued_at`."""
    deadline = cancellation_deadline(issued_at, rfc_emisor)
    if mexico_local(requested_at).date() <= deadline:
        return
    quien = "las personas morales" if len(rfc_emisor.strip()) == 12 else "las personas físicas"
    raise CancellationDeadlineError(
        f"Ya no se puede cancelar este CFDI de {issued_at.year}: el plazo venció el "
        f"{deadline:%d/%m/%Y}, el último día del mes de la "
        f"declaración anual de {quien} (CFF art. 29-A). Si la operación cambió, emite un CFDI "
        "de egreso (nota de crédito) relacionado.",
        details={"plazo": deadline.isoformat()},
    )


def load_signer(certificate: bytes, key: bytes, password: bytes | str) -> Any:
    """The seller's CSD as a satcfdi Signer (raises CancellationRequestError on a bad pair)."""
    from satcfdi.models import Signer

    try:
        return Signer.load(certificate=certificate, key=key, password=password)
    except Exception as exc:  # wrong password, not a CSD, key/cert mismatch
        raise CancellationRequestError(
            "No se pudo abrir el CSD (certificado, llave o contraseña incorrectos)."
        ) from exc


def build_cancellation_request(
    signer: Any,
    uuid: str,
    motivo: CancellationMotivo | str,
    folio_sustitucion: str | None,
    *,
    requested_at: datetime,
    es_global: bool | None = None,
) -> bytes:
    """The SAT Cancelacion XML signed with the CSD. `requested_at` is converted to Mexico-local
    time explicitly (satcfdi would otherwise stamp the machine's local time, UTC on Lambda)."""
    from satcfdi.create.cancela import cancelacion

    motivo = validate_motivo(uuid, motivo, folio_sustitucion, es_global=es_global)
    folio = cancelacion.Folio(
        uuid.upper(),
        motivo.value,
        folio_sustitucion.upper() if folio_sustitucion else None,
    )
    request = cancelacion.Cancelacion(signer, folio, fecha=mexico_local(requested_at))
    return request.xml_bytes()


def cancellation_request(
    *,
    uuid: str,
    rfc_emisor: str,
    rfc_receptor: str,
    total: Decimal,
    motivo: CancellationMotivo | str,
    issued_at: datetime,
    es_global: bool = False,
    folio_sustitucion: str | None = None,
    signer: Any = None,
    requested_at: datetime | None = None,
) -> CancellationRequest:
    """A validated CancellationRequest for the Pac port; signed when a Signer is given.

    `issued_at`: the CFDI's Fecha, for the deadline of CFF 29-A; `es_global`: the CFDI is a
    global invoice (only those take motivo 04)."""
    requested_at = requested_at or datetime.now(UTC)
    motivo = validate_motivo(uuid, motivo, folio_sustitucion, es_global=es_global)
    check_cancellation_deadline(issued_at, rfc_emisor, requested_at)
    if signer is not None and signer.rfc.upper() != rfc_emisor.upper():
        raise CancellationRequestError("El CSD no pertenece al RFC emisor del CFDI.")
    signed = None
    if signer is not None:
        signed = build_cancellation_request(
            signer,
            uuid,
            motivo,
            folio_sustitucion,
            requested_at=requested_at,
            es_global=es_global,
        )
    return CancellationRequest(
        uuid=uuid.upper(),
        rfc_emisor=rfc_emisor.upper(),
        rfc_receptor=rfc_receptor.upper(),
        total=total,
        motivo=motivo,
        folio_sustitucion=folio_sustitucion.upper() if folio_sustitucion else None,
        signed_request=signed,
    )


# ---------------------------------------------------------------------------------------------
# Does the receptor have to accept? (RMF 2.7.1.35)
# ---------------------------------------------------------------------------------------------


class NoAcceptanceReason(StrEnum):
    TOTAL_UP_TO_1000 = "total_hasta_1000"  # fracción I
    NOMINA = "nomina"  # II
    EGRESO = "egreso"  # III
    TRASLADO = "traslado"  # IV
    PUBLICO_EN_GENERAL = "publico_en_general"  # VII
    EXTRANJERO = "residente_extranjero"  # VIII
    NEXT_BUSINESS_DAY = "dia_habil_siguiente"  # IX


def no_acceptance_reason(
    total: Decimal,
    tipo_comprobante: str,
    receptor_rfc: str,
    issued_at: datetime,
    cancelled_at: datetime,
    *,
    extra_holidays: frozenset[date] = frozenset(),
) -> NoAcceptanceReason | None:
    """Which fraction of 2.7.1.35 frees this cancellation from acceptance, if any.

    `total` is in MXN (multiply by TipoCambio first for other currencies); naive datetimes are
    Mexico-local."""
    tipo = tipo_comprobante.strip().upper()[:1]
    rfc = receptor_rfc.strip().upper()
    if tipo == "N":
        return NoAcceptanceReason.NOMINA
    if tipo == "E":
        return NoAcceptanceReason.EGRESO
    if tipo == "T":
        return NoAcceptanceReason.TRASLADO
    if rfc == RECEPTOR_PUBLICO_EN_GENERAL:
        return NoAcceptanceReason.PUBLICO_EN_GENERAL
    if rfc == RECEPTOR_EXTRANJERO:
        return NoAcceptanceReason.EXTRANJERO
    if tipo != "P" and total <= ACCEPTANCE_THRESHOLD_MXN:  # pagos are excluded from fracción I
        return NoAcceptanceReason.TOTAL_UP_TO_1000
    issued_day = mexico_local(issued_at).date()
    cancel_day = mexico_local(cancelled_at).date()
    if cancel_day <= add_business_days(issued_day, 1, extra_holidays):
        return NoAcceptanceReason.NEXT_BUSINESS_DAY
    return None


def requires_acceptance(
    total: Decimal,
    tipo_comprobante: str,
    receptor_rfc: str,
    issued_at: datetime,
    cancelled_at: datetime,
    *,
    extra_holidays: frozenset[date] = frozenset(),
) -> bool:
    """True when the receptor must accept (or stay silent 3 business days) for it to cancel."""
    return (
        no_acceptance_reason(
            total,
            tipo_comprobante,
            receptor_rfc,
            issued_at,
            cancelled_at,
            extra_holidays=extra_holidays,
        )
        is None
    )


def response_deadline(
    requested_at: datetime, extra_holidays: frozenset[date] = frozenset()
) -> datetime:
    """End (Mexico-local, naive) of the receptor's 3 business days counted from the day after the
    request; after it SAT treats silence as acceptance."""
    request_day = mexico_local(requested_at).date()
    last_day = add_business_days(request_day, RESPONSE_BUSINESS_DAYS, extra_holidays)
    return datetime.combine(last_day, time.max)


# ---------------------------------------------------------------------------------------------
# Tracked state
# ---------------------------------------------------------------------------------------------

TERMINAL = frozenset(
    {CancellationStatus.ACCEPTED, CancellationStatus.REJECTED, CancellationStatus.EXPIRED}
)


class StateSource(StrEnum):
    PAC = "pac"  # what the PAC/SAT answered
    DEADLINE = "plazo"  # inferred by us from the clock (3 business days of silence)


@dataclass(frozen=True)
class CancellationState:
    uuid: str
    motivo: CancellationMotivo
    status: CancellationStatus
    requires_acceptance: bool
    requested_at: datetime  # Mexico-local, naive
    respond_by: datetime  # Mexico-local, naive
    decided_at: datetime | None = None
    source: StateSource = StateSource.PAC

    @property
    def is_final(self) -> bool:
        return self.status in TERMINAL


def start_cancellation(
    request: CancellationRequest,
    result: CancellationResult,
    requested_at: datetime,
    *,
    extra_holidays: frozenset[date] = frozenset(),
) -> CancellationState:
    """The state right after the PAC took the request."""
    local = mexico_local(requested_at)
    state = CancellationState(
        uuid=request.uuid.upper(),
        motivo=request.motivo,
        status=CancellationStatus.PENDING,
        requires_acceptance=result.requires_acceptance,
        requested_at=local,
        respond_by=response_deadline(local, extra_holidays),
    )
    if result.status is CancellationStatus.PENDING:
        return state
    return replace(state, status=result.status, decided_at=local)


def cancellation_from_status(answer: StatusResult) -> CancellationStatus | None:
    """What a status answer says about the cancellation (None: nothing decided yet)."""
    if answer.cancellation is not None and answer.cancellation is not CancellationStatus.PENDING:
        return answer.cancellation
    if answer.state is CfdiState.CANCELLED:
        return CancellationStatus.ACCEPTED
    return None


def advance(
    state: CancellationState, answer: StatusResult | None, now: datetime
) -> CancellationState:
    """Pure transition: pending -> accepted | rejected | expired.

    A PAC/SAT answer wins over our clock: an expiry we inferred from the deadline is corrected if
    the SAT later reports a rejection or an acceptance. Decisions the PAC reported are final."""
    if answer is not None and answer.uuid.upper() != state.uuid:
        raise ValueError("status answer is for another UUID")
    local_now = mexico_local(now)
    decided = cancellation_from_status(answer) if answer is not None else None

    if state.is_final and state.source is StateSource.PAC:
        return state
    if decided is not None:
        if decided is state.status:
            return replace(state, source=StateSource.PAC)
        return replace(state, status=decided, decided_at=local_now, source=StateSource.PAC)
    if state.status is CancellationStatus.PENDING and local_now > state.respond_by:
        return replace(
            state,
            status=CancellationStatus.EXPIRED,
            decided_at=local_now,
            source=StateSource.DEADLINE,
        )
    return state
