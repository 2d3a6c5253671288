"""How amounts and dates read in Spanish (Mexico)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from postventa.cfdi.timezones import MEXICO_CITY

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


# Currencies written with "$" in Mexico; any other shows only its ISO code after the number.
_DOLLAR_SIGN = frozenset({"MXN", "USD"})
_CENT = Decimal("0.01")


def amount(value: Decimal, currency: str = "MXN", *, code: bool = True) -> str:
    """An amount as a Mexican buyer reads it: "$1,057.10 MXN" (sign, thousands, two decimals,
    half-up to the cent like the invoice); `code=False` leaves the currency code out."""
    currency = currency.upper()
    cents = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    symbol = "$" if currency in _DOLLAR_SIGN else ""
    text = f"{sign}{symbol}{abs(cents):,.2f}"
    return f"{text} {currency}" if code else text


def mask_email(email: str) -> str:
    """Enough of an address for its owner to recognize it, not enough for anyone else who has
    the link to learn it: "comprador@kemper.example" -> "co*****@kemper.example"."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        return "*****"
    shown = local[:2] if len(local) > 2 else local[:1]
    return f"{shown}*****@{domain}"


def date_es(epoch_seconds: int) -> str:
    local = datetime.fromtimestamp(epoch_seconds, UTC).astimezone(MEXICO_CITY)
    return f"{local.day} de {_MONTHS[local.month - 1]} de {local.year}"


def period_es(first_day: date, last_day: date) -> str:
    """A global-invoice period as a seller reads it: "noviembre de 2026", "20 de noviembre de
    2026", "del 16 al 22 de noviembre de 2026", "noviembre y diciembre de 2026"."""
    month, year = _MONTHS[first_day.month - 1], first_day.year
    if first_day == last_day:
        return f"{first_day.day} de {month} de {year}"
    if first_day.month != last_day.month:
        return f"{month} y {_MONTHS[last_day.month - 1]} de {year}"
    if first_day.day == 1 and (last_day + timedelta(days=1)).day == 1:
        return f"{month} de {year}"
    return f"del {first_day.day} al {last_day.day} de {month} de {year}"
