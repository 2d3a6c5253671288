"""Banxico's SIE adapter: the FIX series asked for the right days, read as the law applies it."""

from __future__ import annotations

import urllib.error
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from postventa.domain.exchange import RateUnavailableError, UnsupportedCurrencyError
from postventa.messaging.exchange_rates import BanxicoRates, SandboxRates


def sie(rows: list[tuple[str, str]]) -> dict[str, Any]:
    """The SIE API's JSON shape for one series."""
    return {
        "bmx": {
            "series": [
                {
                    "idSerie": "SF43718",
                    "titulo": "Tipo de cambio ... Fecha de determinación (FIX)",
                    "datos": [{"fecha": f, "dato": d} for f, d in rows],
                }
            ]
        }
    }


def test_the_fix_series_is_asked_with_the_token_and_the_dof_rule_applied() -> None:
    calls: list[tuple[str, dict[str, str]]] = []

    def fetch(url: str, headers: dict[str, str]) -> Any:
        calls.append((url, headers))
        return sie([("19/11/2026", "18.1919"), ("20/11/2026", "18.2020")])

    rates = BanxicoRates(lambda: "token-sie", fetch)
    assert rates.rate("USD", date(2026, 11, 23)) == Decimal("18.1919")
    assert rates.rate("USD", date(2026, 11, 23)) == Decimal("18.1919")  # remembered
    [(url, headers)] = calls
    assert "/series/SF43718/datos/2026-11-08/2026-11-22" in url
    assert headers["Bmx-Token"] == "token-sie"


def test_banxico_down_or_answering_nonsense_is_a_transient_error() -> None:
    def down(url: str, headers: dict[str, str]) -> Any:
        raise urllib.error.URLError("timeout")

    with pytest.raises(RateUnavailableError):
        BanxicoRates(lambda: "t", down).rate("USD", date(2026, 11, 23))
    with pytest.raises(RateUnavailableError):
        BanxicoRates(lambda: "t", lambda u, h: {"error": "x"}).rate("USD", date(2026, 11, 23))


def test_currencies_without_a_legal_rate_we_can_fetch_are_refused_with_the_reason() -> None:
    for source in (BanxicoRates(lambda: "t", lambda u, h: {}), SandboxRates()):
        with pytest.raises(UnsupportedCurrencyError, match=r"CFF art\. 20"):
            source.rate("HKD", date(2026, 11, 23))
