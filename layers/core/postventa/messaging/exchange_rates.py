"""Exchange rates for invoices in foreign currency: Banxico's FIX (SIE API), or the local
sandbox's fixed rate when the product runs on one machine."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from postventa.domain.exchange import (
    SUPPORTED_CURRENCIES,
    RateUnavailableError,
    UnsupportedCurrencyError,
    dof_fix_for_payment,
)

SIE_URL = "https://www.banxico.org.mx/SieAPIRest/service/v1/series/{series}/datos/{start}/{end}"
FIX_SERIES = "SF43718"  # pesos per US dollar, FIX, by determination date
# The sandbox's rate: not Banxico's, and said so wherever it is used (order history, README).
SANDBOX_USD_RATE = Decimal("20.000000")

Fetch = Callable[[str, dict[str, str]], Any]


def http_get_json(url: str, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - fixed https host
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def _check_currency(currency: str) -> None:
    if currency not in SUPPORTED_CURRENCIES:
        raise UnsupportedCurrencyError(currency)


class BanxicoRates:
    """Banxico's SIE API; the query token is a secret (Secrets Manager), read on first use."""

    def __init__(self, token: Callable[[], str], fetch: Fetch = http_get_json) -> None:
        self._token = token
        self._fetch = fetch
        self._cache: dict[tuple[str, date], Decimal] = {}

    def rate(self, currency: str, paid_on: date) -> Decimal:
        _check_currency(currency)
        key = (currency, paid_on)
        if key not in self._cache:
            self._cache[key] = dof_fix_for_payment(self._fix_values(paid_on), paid_on)
        return self._cache[key]

    def _fix_values(self, paid_on: date) -> dict[date, Decimal]:
        url = SIE_URL.format(
            series=FIX_SERIES,
            start=(paid_on - timedelta(days=15)).isoformat(),
            end=(paid_on - timedelta(days=1)).isoformat(),
        )
        try:
            data = self._fetch(url, {"Bmx-Token": self._token(), "Accept": "application/json"})
            rows = data["bmx"]["series"][0].get("datos") or []
            return {
                datetime.strptime(row["fecha"], "%d/%m/%Y").date(): Decimal(row["dato"])
                for row in rows
                if row.get("dato") not in (None, "N/E")
            }
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise RateUnavailableError("Banxico no respondió al pedir el tipo de cambio.") from exc
        except (KeyError, IndexError, TypeError, ValueError, InvalidOperation) as exc:
            raise RateUnavailableError("Banxico respondió algo inesperado.") from exc


class SandboxRates:
    """The local cloud's rate source: one fixed, clearly fake rate per supported currency."""

    def rate(self, currency: str, paid_on: date) -> Decimal:
        _check_currency(currency)
        return SANDBOX_USD_RATE
