"""Cancellation: motivo rules, the CSD-signed request, RMF 2.7.1.35, and the tracked state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from postventa.cfdi.cancel import (
    CancellationDeadlineError,
    CancellationRequestError,
    CancellationState,
    GlobalOnlyMotivoError,
    NoAcceptanceReason,
    StateSource,
    add_business_days,
    advance,
    build_cancellation_request,
    cancellation_deadline,
    cancellation_request,
    cff_holidays,
    is_business_day,
    load_signer,
    no_acceptance_reason,
    requires_acceptance,
    response_deadline,
    start_cancellation,
    validate_motivo,
)
from postventa.cfdi.pac.base import (
    CancellationMotivo,
    CancellationResult,
    CancellationStatus,
    CfdiState,
    StatusResult,
)

UUID = "AF124DC7-BD75-5EFF-8EDF-28C1E7D43B1D"
SUBSTITUTE = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def signer(eku_csd):
    return load_signer(eku_csd.certificate, eku_csd.key, eku_csd.password.encode())


# -- motivos -----------------------------------------------------------------------------------


def test_motivo_01_requires_the_substitute_uuid():
    with pytest.raises(CancellationRequestError) as info:
        validate_motivo(UUID, "01", None)
    assert "motivo 01 requiere" in info.value.message
    assert "folio_sustitucion" in info.value.details


def test_motivo_01_rejects_a_malformed_or_self_substitute():
    with pytest.raises(CancellationRequestError):
        validate_motivo(UUID, "01", "no-es-uuid")
    with pytest.raises(CancellationRequestError):
        validate_motivo(UUID, "01", UUID.lower())


@pytest.mark.parametrize("motivo", ["02", "03", "04"])
def test_motivos_02_to_04_must_not_carry_a_substitute(motivo):
    with pytest.raises(CancellationRequestError) as info:
        validate_motivo(UUID, motivo, SUBSTITUTE)
    assert "no debe llevarlo" in info.value.message
    assert validate_motivo(UUID, motivo, None) is CancellationMotivo(motivo)


def test_unknown_motivo_is_refused_in_spanish():
    with pytest.raises(CancellationRequestError) as info:
        validate_motivo(UUID, "05", None)
    assert "01, 02, 03 o 04" in info.value.message


# -- signed request ----------------------------------------------------------------------------


def test_signed_request_carries_folio_motivo_substitute_and_mexico_local_time(signer):
    at = datetime(2024, 6, 13, 15, 0, 0, tzinfo=UTC)  # 09:00 in Mexico City (UTC-6)
    xml = build_cancellation_request(signer, UUID.lower(), "01", SUBSTITUTE, requested_at=at)

    root = etree.fromstring(xml)
    ns = {"c": "http://cancelacfd.sat.gob.mx", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    assert root.get("RfcEmisor") == "EKU9003173C9"
    assert root.get("Fecha") == "2024-06-13T09:00:00"
    folio = root.find("c:Folios/c:Folio", ns)
    assert folio.get("UUID") == UUID
    assert folio.get("Motivo") == "01"
    assert folio.get("FolioSustitucion") == SUBSTITUTE
    assert root.find("ds:Signature/ds:SignatureValue", ns).text


def test_cancellation_request_validates_and_signs(signer):
    request = cancellation_request(
        uuid=UUID,
        rfc_emisor="EKU9003173C9",
        rfc_receptor="ICV060329BY0",
        total=Decimal("1740.00"),
        motivo="02",
        issued_at=datetime(2024, 6, 1, 12, 0),
        signer=signer,
        requested_at=datetime(2024, 6, 13, 9, 0),
    )
    assert request.motivo is CancellationMotivo.WITHOUT_RELATION
    assert request.signed_request and b'Motivo="02"' in request.signed_request


def test_a_csd_of_another_rfc_cannot_sign(signer):
    with pytest.raises(CancellationRequestError):
        cancellation_request(
            uuid=UUID,
            rfc_emisor="AAA010101AAA",
            rfc_receptor="ICV060329BY0",
            total=Decimal("1"),
            motivo="02",
            issued_at=datetime.now(UTC),
            signer=signer,
        )


def test_a_wrong_csd_password_is_a_spanish_error(eku_csd):
    with pytest.raises(CancellationRequestError) as info:
        load_signer(eku_csd.certificate, eku_csd.key, b"wrong")
    assert "CSD" in info.value.message


# -- business days -----------------------------------------------------------------------------


def test_cff_holidays_2025():
    assert cff_holidays(2025) == {
        date(2025, 1, 1),
        date(2025, 2, 3),
        date(2025, 3, 17),
        date(2025, 5, 1),
        date(2025, 9, 16),
        date(2025, 11, 17),
        date(2025, 12, 25),
    }
    assert date(2024, 10, 1) in cff_holidays(2024)  # change of the Executive


def test_business_days_skip_weekends_and_holidays():
    assert not is_business_day(date(2025, 3, 15))  # Saturday
    assert not is_business_day(date(2025, 3, 17))  # third Monday of March
    assert add_business_days(date(2025, 3, 14), 1) == date(2025, 3, 18)  # Fri -> Tue
    extra = frozenset({date(2025, 3, 18)})
    assert add_business_days(date(2025, 3, 14), 1, extra) == date(2025, 3, 19)


# -- requires_acceptance by rule class ---------------------------------------------------------

ISSUED = datetime(2025, 6, 2, 12, 0)  # Monday
LATE = datetime(2025, 6, 10, 12, 0)  # well after the next business day


@pytest.mark.parametrize(
    ("total", "tipo", "rfc", "cancelled_at", "reason"),
    [
        (Decimal("1000.00"), "I", "ICV060329BY0", LATE, NoAcceptanceReason.TOTAL_UP_TO_1000),
        (Decimal("50000"), "E", "ICV060329BY0", LATE, NoAcceptanceReason.EGRESO),
        (Decimal("50000"), "N", "ICV060329BY0", LATE, NoAcceptanceReason.NOMINA),
        (Decimal("50000"), "T", "ICV060329BY0", LATE, NoAcceptanceReason.TRASLADO),
        (Decimal("50000"), "I", "XAXX010101000", LATE, NoAcceptanceReason.PUBLICO_EN_GENERAL),
        (Decimal("50000"), "I", "XEXX010101000", LATE, NoAcceptanceReason.EXTRANJERO),
        (
            Decimal("50000"),
            "I",
            "ICV060329BY0",
            datetime(2025, 6, 3, 23, 59),
            NoAcceptanceReason.NEXT_BUSINESS_DAY,
        ),
        (Decimal("1000.01"), "I", "ICV060329BY0", LATE, None),
        (Decimal("0"), "P", "ICV060329BY0", LATE, None),  # pagos: no $1,000 exception
    ],
)
def test_no_acceptance_reason_by_rule_class(total, tipo, rfc, cancelled_at, reason):
    assert no_acceptance_reason(total, tipo, rfc, ISSUED, cancelled_at) is reason
    assert requires_acceptance(total, tipo, rfc, ISSUED, cancelled_at) is (reason is None)


def test_next_business_day_crosses_weekends_and_holidays():
    friday = datetime(2025, 3, 14, 18, 0)
    # Monday 17 is a holiday, so Tuesday 18 is still the next business day
    assert not requires_acceptance(
        Decimal("5000"), "I", "ICV060329BY0", friday, datetime(2025, 3, 18, 20, 0)
    )
    assert requires_acceptance(
        Decimal("5000"), "I", "ICV060329BY0", friday, datetime(2025, 3, 19, 9, 0)
    )


def test_dates_are_compared_in_mexico_time():
    issued = datetime(2025, 6, 2, 23, 0, tzinfo=timezone(timedelta(hours=-6)))
    # 2025-06-04 03:00 UTC is still June 3 in Mexico City: the next business day
    cancelled = datetime(2025, 6, 4, 3, 0, tzinfo=UTC)
    assert not requires_acceptance(Decimal("5000"), "I", "ICV060329BY0", issued, cancelled)


# -- state transitions -------------------------------------------------------------------------

REQUESTED = datetime(2025, 6, 2, 10, 0)  # Monday; 3 business days -> Thursday 5 end of day


def pending_state() -> CancellationState:
    request = cancellation_request(
        uuid=UUID,
        rfc_emisor="EKU9003173C9",
        rfc_receptor="ICV060329BY0",
        total=Decimal("5000"),
        motivo="02",
        issued_at=datetime.now(UTC),
    )
    result = CancellationResult(
        uuid=UUID, status=CancellationStatus.PENDING, requires_acceptance=True
    )
    return start_cancellation(request, result, REQUESTED)


def answer(state: CfdiState, cancellation: CancellationStatus | None) -> StatusResult:
    return StatusResult(uuid=UUID, state=state, cancellation=cancellation)


def test_response_deadline_is_three_business_days_after_the_request():
    assert response_deadline(REQUESTED).date() == date(2025, 6, 5)


def test_start_is_pending_unless_the_pac_cancelled_at_once():
    state = pending_state()
    assert state.status is CancellationStatus.PENDING and not state.is_final
    request = cancellation_request(
        uuid=UUID,
        rfc_emisor="EKU9003173C9",
        rfc_receptor="XAXX010101000",
        total=Decimal("10"),
        motivo="03",
        issued_at=datetime.now(UTC),
    )
    done = start_cancellation(
        request, CancellationResult(UUID, CancellationStatus.ACCEPTED, False), REQUESTED
    )
    assert done.status is CancellationStatus.ACCEPTED and done.decided_at == REQUESTED


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (answer(CfdiState.CANCELLED, CancellationStatus.ACCEPTED), CancellationStatus.ACCEPTED),
        (answer(CfdiState.CANCELLED, None), CancellationStatus.ACCEPTED),
        (answer(CfdiState.VALID, CancellationStatus.REJECTED), CancellationStatus.REJECTED),
        (answer(CfdiState.CANCELLED, CancellationStatus.EXPIRED), CancellationStatus.EXPIRED),
        (answer(CfdiState.VALID, CancellationStatus.PENDING), CancellationStatus.PENDING),
    ],
)
def test_pending_advances_with_the_pac_answer(reply, expected):
    state = advance(pending_state(), reply, datetime(2025, 6, 3, 12, 0))
    assert state.status is expected
    assert (state.decided_at is not None) is (expected is not CancellationStatus.PENDING)


def test_silence_after_three_business_days_expires():
    state = pending_state()
    still = advance(state, None, datetime(2025, 6, 5, 23, 0))
    assert still.status is CancellationStatus.PENDING
    expired = advance(
        state, answer(CfdiState.VALID, CancellationStatus.PENDING), datetime(2025, 6, 6, 0, 30)
    )
    assert expired.status is CancellationStatus.EXPIRED
    assert expired.source is StateSource.DEADLINE


def test_a_late_sat_answer_corrects_an_expiry_we_inferred():
    expired = advance(pending_state(), None, datetime(2025, 6, 9, 9, 0))
    corrected = advance(
        expired, answer(CfdiState.VALID, CancellationStatus.REJECTED), datetime(2025, 6, 9, 10, 0)
    )
    assert corrected.status is CancellationStatus.REJECTED
    assert corrected.source is StateSource.PAC


def test_decisions_reported_by_the_pac_are_final():
    accepted = advance(pending_state(), answer(CfdiState.CANCELLED, None), datetime(2025, 6, 3))
    again = advance(
        accepted, answer(CfdiState.VALID, CancellationStatus.REJECTED), datetime(2025, 6, 4)
    )
    assert again == accepted


def test_an_answer_for_another_uuid_is_refused():
    other = StatusResult(uuid=SUBSTITUTE, state=CfdiState.CANCELLED)
    with pytest.raises(ValueError):
        advance(pending_state(), other, datetime(2025, 6, 3))


@pytest.mark.parametrize(
    ("rfc", "last_day"),
    [("EKU9003173C9", date(2026, 3, 31)), ("XIQB891116QE4", date(2026, 4, 30))],
)
def test_the_deadline_is_the_month_of_the_annual_return_of_the_issuing_year(
    rfc: str, last_day: date
) -> None:
    # CFF 29-A: personas morales file in March, personas físicas in April of the next year
    for issued in (datetime(2025, 1, 1, 0, 0), datetime(2025, 12, 31, 23, 59)):
        assert cancellation_deadline(issued, rfc) == last_day


def test_a_cancellation_past_the_deadline_is_refused_with_the_date() -> None:
    issued = datetime(2025, 6, 1, 12, 0)
    on_time = datetime(2026, 3, 31, 23, 0, tzinfo=timezone(timedelta(hours=-6)))
    request = cancellation_request(
        uuid=UUID,
        rfc_emisor="EKU9003173C9",
        rfc_receptor="ICV060329BY0",
        total=Decimal("5000"),
        motivo="02",
        issued_at=issued,
        requested_at=on_time,
    )
    assert request.motivo is CancellationMotivo.WITHOUT_RELATION
    with pytest.raises(CancellationDeadlineError) as info:
        cancellation_request(
            uuid=UUID,
            rfc_emisor="EKU9003173C9",
            rfc_receptor="ICV060329BY0",
            total=Decimal("5000"),
            motivo="02",
            issued_at=issued,
            requested_at=on_time + timedelta(hours=2),  # April 1st in Mexico City
        )
    assert "31/03/2026" in info.value.message
    assert info.value.code == "cancelacion_fuera_de_plazo"


def test_motivo_04_is_only_for_a_global_invoice() -> None:
    kwargs = {
        "uuid": UUID,
        "rfc_emisor": "EKU9003173C9",
        "rfc_receptor": "XAXX010101000",
        "total": Decimal("5000"),
        "motivo": "04",
        "issued_at": datetime.now(UTC),
    }
    with pytest.raises(GlobalOnlyMotivoError):
        cancellation_request(**kwargs)
    assert cancellation_request(**kwargs, es_global=True).motivo is (
        CancellationMotivo.GLOBAL_NOMINATIVE
    )
