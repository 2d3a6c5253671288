"""The global invoice's periods: boundaries, InformacionGlobal Meses/Año, the close at the place
of issue, the issue window (RMF 2.7.1.21) and the buyer's time that follows from them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from postventa.cfdi.timezones import zone
from postventa.domain.global_periods import (
    ISSUE_WINDOW,
    Periodicidad,
    PeriodTextError,
    answer_by,
    answer_seconds,
    global_period_end,
    issue_due_by,
    issue_opens_at,
    late_requests_until,
    parse_period,
    period_of,
    tenant_period,
)
from postventa.domain.tenants import GlobalInvoiceSettings, IssuerFiscalData
from tests.support import builders

P = Periodicidad
CDMX = zone("America/Mexico_City")
TIJUANA = zone("America/Tijuana")


@pytest.mark.parametrize(
    ("periodicidad", "day", "first", "last", "meses"),
    [
        (P.DIARIA, date(2026, 11, 20), date(2026, 11, 20), date(2026, 11, 20), "11"),
        # Monday to Sunday...
        (P.SEMANAL, date(2026, 11, 18), date(2026, 11, 16), date(2026, 11, 22), "11"),
        # ...cut at the month's end: one Meses per period
        (P.SEMANAL, date(2026, 11, 30), date(2026, 11, 30), date(2026, 11, 30), "11"),
        (P.SEMANAL, date(2026, 12, 2), date(2026, 12, 1), date(2026, 12, 6), "12"),
        (P.QUINCENAL, date(2026, 2, 15), date(2026, 2, 1), date(2026, 2, 15), "02"),
        (P.QUINCENAL, date(2028, 2, 16), date(2028, 2, 16), date(2028, 2, 29), "02"),
        (P.MENSUAL, date(2026, 11, 20), date(2026, 11, 1), date(2026, 11, 30), "11"),
        # c_Meses 13 Ene-Feb ... 18 Nov-Dic
        (P.BIMESTRAL, date(2026, 2, 28), date(2026, 1, 1), date(2026, 2, 28), "13"),
        (P.BIMESTRAL, date(2026, 7, 1), date(2026, 7, 1), date(2026, 8, 31), "16"),
        (P.BIMESTRAL, date(2026, 12, 31), date(2026, 11, 1), date(2026, 12, 31), "18"),
    ],
)
def test_each_periodicity_has_its_days_and_meses(
    periodicidad: Periodicidad, day: date, first: date, last: date, meses: str
) -> None:
    period = period_of(periodicidad, day)
    assert (period.first_day, period.last_day, period.meses, period.ano) == (
        first,
        last,
        meses,
        first.year,
    )
    assert period.contains(day) and not period.contains(last + timedelta(days=1))


def test_consecutive_periods_cover_a_year_without_gaps_or_overlaps() -> None:
    for periodicidad in P:
        period = period_of(periodicidad, date(2027, 1, 1))
        days = 0
        while period.ano == 2027:
            days += (period.last_day - period.first_day).days + 1
            following = period.following()
            assert following.first_day == period.last_day + timedelta(days=1)
            period = following
        assert days == 365, periodicidad


def test_a_period_closes_at_midnight_at_the_place_of_issue() -> None:
    november = period_of(P.MENSUAL, date(2026, 11, 20))
    assert november.ends_at(CDMX) == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # UTC-6
    assert november.ends_at(TIJUANA) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # PST, UTC-8
    july = period_of(P.MENSUAL, date(2026, 7, 5))
    assert july.ends_at(TIJUANA) == datetime(2026, 8, 1, 7, 0, tzinfo=UTC)  # PDT, UTC-7


def test_the_global_is_issued_after_the_close_and_within_sats_24_hours() -> None:
    period = period_of(P.DIARIA, date(2026, 11, 20))
    close = period.ends_at(CDMX)
    assert close < issue_opens_at(period, CDMX) < issue_due_by(period, CDMX)
    assert issue_due_by(period, CDMX) - close == ISSUE_WINDOW == timedelta(hours=24)


def test_a_sale_belongs_to_the_period_of_its_local_day() -> None:
    tenant = builders.tenant(global_invoice=GlobalInvoiceSettings(periodicity=P.DIARIA))
    # 2026-11-21 03:00 UTC is still the 20th in Pachuca (UTC-6).
    period = tenant_period(tenant, datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    assert period.first_day == date(2026, 11, 20)
    tijuana = builders.tenant(
        issuer=IssuerFiscalData(
            rfc="EKU9003173C9",
            nombre="ESCUELA KEMPER URGATE",
            regimen_fiscal="601",
            codigo_postal="22000",
        ),
        global_invoice=GlobalInvoiceSettings(periodicity=P.DIARIA),
    )
    # 07:30 UTC: the 21st in Pachuca, still the 20th in Tijuana (UTC-8).
    moment = datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
    assert tenant_period(tenant, moment).first_day == date(2026, 11, 21)
    assert tenant_period(tijuana, moment).first_day == date(2026, 11, 20)


def test_the_buyer_waits_for_the_tenants_deadline_or_the_periods_close_whichever_is_first() -> None:
    tenant = builders.tenant()  # monthly, seven days
    early = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    assert answer_by(tenant, early) == early + timedelta(days=7)
    late = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert answer_by(tenant, late) == global_period_end(tenant, late)
    assert global_period_end(tenant, late) == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    # Reaching us after its period closed: it goes to the global invoice at once.
    assert answer_seconds(tenant, late, late + timedelta(days=3)) == 1
    assert answer_seconds(tenant, early, early) == 7 * 24 * 3600


def test_late_requests_are_taken_until_the_end_of_the_fiscal_year_or_the_tenants_days() -> None:
    period = period_of(P.MENSUAL, date(2026, 11, 20))
    assert late_requests_until(builders.tenant(), period) == datetime(2027, 1, 1, 6, tzinfo=UTC)
    three = builders.tenant(global_invoice=GlobalInvoiceSettings(late_request_days=3))
    assert late_requests_until(three, period) == datetime(2026, 12, 4, 6, tzinfo=UTC)
    none = builders.tenant(global_invoice=GlobalInvoiceSettings(late_request_days=0))
    assert late_requests_until(none, period) == period.ends_at(CDMX)


def test_a_periods_key_sorts_by_date_and_names_its_periodicity() -> None:
    assert period_of(P.QUINCENAL, date(2026, 11, 20)).key == "2026-11-16.03"
    keys = [period_of(p, date(2026, 11, d)).key for p, d in ((P.MENSUAL, 1), (P.DIARIA, 2))]
    assert keys == sorted(keys)


def test_an_operator_names_a_period_by_month_day_or_key() -> None:
    assert parse_period(P.MENSUAL, "2026-11").first_day == date(2026, 11, 1)
    assert parse_period(P.BIMESTRAL, "2026-12").meses == "18"
    assert parse_period(P.SEMANAL, "2026-11-18").first_day == date(2026, 11, 16)
    assert parse_period(P.MENSUAL, "2026-11-01.04").last_day == date(2026, 11, 30)
    with pytest.raises(PeriodTextError, match="indica el día"):
        parse_period(P.DIARIA, "2026-11")
    with pytest.raises(PeriodTextError, match="no es el inicio"):
        parse_period(P.MENSUAL, "2026-11-02.04")
    with pytest.raises(PeriodTextError, match="no válido"):
        parse_period(P.MENSUAL, "noviembre")
