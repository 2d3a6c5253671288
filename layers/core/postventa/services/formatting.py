"""How amounts and dates read in Spanish (Mexico)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

# Mexico City has had no daylight saving time since 2022.
MEXICO_CITY = timezone(timedelta(hours=-6), "CST")
_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def date_es(epoch_seconds: int) -> str:
    local = datetime.fromtimestamp(epoch_seconds, UTC).astimezone(MEXICO_CITY)
    return f"{local.day} de {_MONTHS[local.month - 1]} de {local.year}"
