"""The periods of the global invoice (factura global a PUBLICO EN GENERAL) and the times that
follow from them: when a period closes, when its global invoice is issued, how long a buyer has.

Rules and their sources (docs/decisions/0015-global-invoice-and-cancellations.md):

* c_Periodicidad: 01 diaria, 02 semanal, 03 quincenal, 04 mensual, 05 bimestral; Meses is one
  month 01-12, or 13-18 (Ene-Feb ... Nov-Dic) for 05 (Guía de llenado del CFDI global, nodo
  InformacionGlobal; matrix CFDI40134/40135). Año is the period's year.
* The global CFDI goes to the PAC "dentro de las 24 horas siguientes al cierre de las operaciones
  realizadas de manera diaria, semanal, mensual o bimestral" (RMF regla 2.7.1.21, as SAT's Guía de
  llenado del CFDI global quotes it in its introduction): it is issued after the period closes and
  at most 24 hours later.
* SAT defines neither the first day of a week nor what Meses a week across two months carries.
  Our choice: weeks run Monday to Sunday and are cut at the end of the month, fortnights are the
  1st-15th and the 16th-end, so every period lies in one month (one Meses, one monthly return).
* Periods are calendar days at the place of issue (the issuer's LugarExpedicion), the same local
  time a CFDI's Fecha is written in (Anexo 20, Fecha).

Pure functions over dates and aware datetimes; the only outside knowledge is the tenant's zone,
read from the engine's c_CodigoPostal table (no satcfdi import).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from postventa.domain.tenants import Tenant


class Periodicidad(StrEnum):
    """c_Periodicidad of InformacionGlobal."""

    DIARIA = "01"
    SEMANAL = "02"
    QUINCENAL = "03"
    MENSUAL = "04"
    BIMESTRAL = "05"


# The global invoice is issued this long after its period closes: late webhooks of the period's
# last minutes arrive, and the lifecycle moves every unanswered order of the period to `global`
# at the close. Well inside SAT's 24 hours (ISSUE_WINDOW).
ISSUE_DELAY = timedelta(hours=2)
# RMF 2.7.1.21: the global CFDI is sent to the PAC within the 24 hours after the period closes.
ISSUE_WINDOW = timedelta(hours=24)
# The lifecycle's wait is never zero or less (its state machine takes a non-positive wait as "no
# tenant deadline" and waits the longest): an order past its time goes global at once.
MIN_ANSWER_SECONDS = 1


@dataclass(frozen=True, order=True)
class Period:
    """One period of a tenant's global invoice: calendar days at the place of issue, both ends
    included."""

    first_day: date
    last_day: date
    periodicidad: Periodicidad

    @property
    def key(self) -> str:
        """Stable name of the period (storage keys, the CLI): first day and periodicidad,
        "2026-11-01.04" (sorts by date; no run of ten digits a log filter would take for a
        phone number)."""
        return f"{self.first_day.isoformat()}.{self.periodicidad.value}"

    @property
    def meses(self) -> str:
        """InformacionGlobal Meses: the month, or 13-18 for the bimonthly periods."""
        if self.periodicidad is Periodicidad.BIMESTRAL:
            return str(12 + (self.first_day.month + 1) // 2)
        return f"{self.first_day.month:02d}"

    @property
    def ano(self) -> int:
        return self.first_day.year

    def starts_at(self, zone: tzinfo) -> datetime:
        return _local_midnight(self.first_day, zone)

    def ends_at(self, zone: tzinfo) -> datetime:
        """The close: midnight after the last day, at the place of issue (exclusive end)."""
        return _local_midnight(self.last_day + timedelta(days=1), zone)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def following(self) -> Period:
        return period_of(self.periodicidad, self.last_day + timedelta(days=1))


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_of(periodicidad: Periodicidad, day: date) -> Period:
    """The period a local calendar day falls in."""
    p = Periodicidad(periodicidad)
    if p is Periodicidad.DIARIA:
        return Period(day, day, p)
    if p is Periodicidad.SEMANAL:
        monday = day - timedelta(days=day.weekday())
        sunday = monday + timedelta(days=6)
        first = max(monday, day.replace(day=1))
        return Period(first, min(sunday, _month_end(day)), p)
    if p is Periodicidad.QUINCENAL:
        if day.day <= 15:
            return Period(day.replace(day=1), day.replace(day=15), p)
        return Period(day.replace(day=16), _month_end(day), p)
    if p is Periodicidad.MENSUAL:
        return Period(day.replace(day=1), _month_end(day), p)
    first_month = day.month - (day.month - 1) % 2  # 1, 3, 5, 7, 9, 11
    first = date(day.year, first_month, 1)
    return Period(first, _month_end(date(day.year, first_month + 1, 1)), p)


def period_at(periodicidad: Periodicidad, moment: datetime, zone: tzinfo) -> Period:
    """The period an instant falls in, by its calendar day at the place of issue."""
    return period_of(periodicidad, moment.astimezone(zone).date())


class PeriodTextError(ValueError):
    """A period written in a way that names no period of the periodicity."""


def parse_period(periodicidad: Periodicidad, text: str) -> Period:
    """A period as an operator writes it: AAAA-MM-DD (the period holding that day) or AAAA-MM
    (monthly and bimonthly periods only: a month holds several daily, weekly or fortnightly
    periods), or the period's own key."""
    text = text.strip()
    try:
        if len(text) == 7:
            day = date.fromisoformat(f"{text}-01")
            if Periodicidad(periodicidad) not in (Periodicidad.MENSUAL, Periodicidad.BIMESTRAL):
                raise PeriodTextError(
                    "Con esta periodicidad indica el día (AAAA-MM-DD) del periodo que quieres."
                )
            return period_of(periodicidad, day)
        if len(text) == 13 and text[10] == ".":
            key_periodicidad = Periodicidad(text[11:])
            day = date.fromisoformat(text[:10])
            period = period_of(key_periodicidad, day)
            if period.key != text:
                raise PeriodTextError(f"{text} no es el inicio de un periodo.")
            return period
        return period_of(periodicidad, date.fromisoformat(text))
    except ValueError as exc:
        if isinstance(exc, PeriodTextError):
            raise
        raise PeriodTextError(f"Periodo no válido: {text!r} (usa AAAA-MM o AAAA-MM-DD).") from None


def issue_opens_at(period: Period, zone: tzinfo) -> datetime:
    """From when the period's global invoice is issued (the close plus ISSUE_DELAY)."""
    return period.ends_at(zone) + ISSUE_DELAY


def issue_due_by(period: Period, zone: tzinfo) -> datetime:
    """The end of SAT's window for sending the period's global invoice (RMF 2.7.1.21)."""
    return period.ends_at(zone) + ISSUE_WINDOW


# ---------------------------------------------------------------------------------- tenants
def tenant_zone(tenant: Tenant) -> tzinfo:
    """The tenant's place of issue's time zone (Mexico City until it has a fiscal identity, or
    when its postal code is not in c_CodigoPostal: the seller's setup problem, reported where
    invoices are built)."""
    from postventa.cfdi.timezones import (
        MEXICO_CITY,
        UnknownPlaceOfIssueError,
        zone_for_codigo_postal,
    )

    if tenant.issuer is None:
        return MEXICO_CITY
    try:
        return zone_for_codigo_postal(tenant.issuer.codigo_postal)
    except UnknownPlaceOfIssueError:
        return MEXICO_CITY


def tenant_period(tenant: Tenant, moment: datetime) -> Period:
    """The tenant's global-invoice period an instant (a sale's payment) falls in."""
    return period_at(tenant.global_invoice.periodicity, moment, tenant_zone(tenant))


def global_period_end(tenant: Tenant, paid_at: datetime) -> datetime:
    """When the global-invoice period of a sale paid at `paid_at` closes: after it the sale
    belongs to that period's global invoice (the buyer's link and the lifecycle's wait end)."""
    return tenant_period(tenant, paid_at).ends_at(tenant_zone(tenant))


def answer_by(tenant: Tenant, paid_at: datetime) -> datetime:
    """Until when the lifecycle waits for the buyer's data: the tenant's deadline counted from
    the payment, or the close of the sale's period when that comes first (then the order goes
    into the period's global invoice)."""
    deadline = paid_at + timedelta(seconds=tenant.billing_deadline_seconds)
    return min(deadline, global_period_end(tenant, paid_at))


def answer_seconds(tenant: Tenant, paid_at: datetime, now: datetime) -> int:
    """`answer_by` as the seconds from `now` the lifecycle's wait takes (at least
    MIN_ANSWER_SECONDS)."""
    return max(MIN_ANSWER_SECONDS, int((answer_by(tenant, paid_at) - now).total_seconds()))


def late_requests_until(tenant: Tenant, period: Period) -> datetime:
    """Until when a buyer whose sale went into the period's global invoice may still ask for
    their own invoice (the tenant's cut-off): by default the end of the fiscal year of the sale
    (Dec 31 at the place of issue); `late_request_days` after the period's close when the tenant
    sets it (0: not after the close)."""
    zone = tenant_zone(tenant)
    days = tenant.global_invoice.late_request_days
    if days is None:
        return _local_midnight(date(period.last_day.year + 1, 1, 1), zone)
    return period.ends_at(zone) + timedelta(days=days)
