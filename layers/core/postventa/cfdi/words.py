"""Amounts in Spanish words, as printed on a CFDI ("CIENTO VEINTE PESOS 50/100 M.N.").

Pure Python, no imports beyond the standard library, so any function may use it.
Covers 0 to 999,999,999,999.99. Rules followed (RAE):
- "un" before a masculine noun and before "mil"/"millón" (VEINTIÚN PESOS, VEINTIÚN MIL, UN MILLÓN),
  "una"/"veintiuna" and feminine hundreds (DOSCIENTAS) before a feminine currency (libras);
  millions stay masculine (DOSCIENTOS MILLONES DE LIBRAS).
- "cien" alone, "ciento" before more (CIENTO UNO); quinientos, setecientos, novecientos.
- "mil", never "un mil"; "un millón" / "dos millones"; "de" before the currency when the amount
  is an exact number of millions (UN MILLÓN DE PESOS, but UN MILLÓN CIEN MIL PESOS).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MAX_AMOUNT = Decimal("999999999999.99")

_UNITS = (
    "",
    "UNO",
    "DOS",
    "TRES",
    "CUATRO",
    "CINCO",
    "SEIS",
    "SIETE",
    "OCHO",
    "NUEVE",
    "DIEZ",
    "ONCE",
    "DOCE",
    "TRECE",
    "CATORCE",
    "QUINCE",
    "DIECISÉIS",
    "DIECISIETE",
    "DIECIOCHO",
    "DIECINUEVE",
    "VEINTE",
    "VEINTIUNO",
    "VEINTIDÓS",
    "VEINTITRÉS",
    "VEINTICUATRO",
    "VEINTICINCO",
    "VEINTISÉIS",
    "VEINTISIETE",
    "VEINTIOCHO",
    "VEINTINUEVE",
)
_TENS = ("", "", "", "TREINTA", "CUARENTA", "CINCUENTA", "SESENTA", "SETENTA", "OCHENTA", "NOVENTA")
_HUNDREDS = (
    "",
    "CIENTO",
    "DOSCIENTOS",
    "TRESCIENTOS",
    "CUATROCIENTOS",
    "QUINIENTOS",
    "SEISCIENTOS",
    "SETECIENTOS",
    "OCHOCIENTOS",
    "NOVECIENTOS",
)


@dataclass(frozen=True)
class CurrencyWords:
    """How a currency reads: singular/plural noun, grammatical gender, suffix after cents."""

    singular: str
    plural: str
    suffix: str
    feminine: bool = False


CURRENCIES: dict[str, CurrencyWords] = {
    "MXN": CurrencyWords("PESO", "PESOS", "M.N."),
    "USD": CurrencyWords("DÓLAR", "DÓLARES", "USD"),
    "EUR": CurrencyWords("EURO", "EUROS", "EUR"),
    "CAD": CurrencyWords("DÓLAR CANADIENSE", "DÓLARES CANADIENSES", "CAD"),
    "GBP": CurrencyWords("LIBRA ESTERLINA", "LIBRAS ESTERLINAS", "GBP", feminine=True),
    "JPY": CurrencyWords("YEN", "YENES", "JPY"),
}


def _below_hundred(n: int, ending: str) -> str:
    """1..99. ending: 'o' (uno), 'n' (un, apocopated), 'a' (una)."""
    if n < 30:
        word = _UNITS[n]
    else:
        tens, unit = divmod(n, 10)
        word = _TENS[tens] + (f" Y {_UNITS[unit]}" if unit else "")
    if word.endswith("UNO"):
        if ending == "n":
            word = word[:-3] + ("ÚN" if n == 21 else "UN")
        elif ending == "a":
            word = word[:-1] + "A"
    return word


def _below_thousand(n: int, ending: str) -> str:
    """1..999 with the same ending rule; feminine hundreds when ending is 'a'."""
    if n == 100:
        return "CIEN"
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        word = _HUNDREDS[hundreds]
        if ending == "a" and hundreds > 1:
            word = word[:-2] + "AS"
        parts.append(word)
    if rest:
        parts.append(_below_hundred(rest, ending))
    return " ".join(parts)


def _below_million(n: int, ending: str) -> str:
    """1..999,999. Before 'mil' a masculine 'uno' becomes 'un'; the gender of hundreds carries."""
    thousands, rest = divmod(n, 1000)
    parts = []
    if thousands == 1:
        parts.append("MIL")
    elif thousands:
        parts.append(_below_thousand(thousands, "a" if ending == "a" else "n") + " MIL")
    if rest:
        parts.append(_below_thousand(rest, ending))
    return " ".join(parts)


def integer_in_words(n: int, *, ending: str = "o") -> str:
    """An integer 0..999,999,999,999 in upper-case Spanish words.

    ending: 'o' for counting (VEINTIUNO), 'n' before a masculine noun (VEINTIÚN),
    'a' before a feminine noun (VEINTIUNA, DOSCIENTAS).
    """
    if ending not in ("o", "n", "a"):
        raise ValueError(f"ending must be 'o', 'n' or 'a', not {ending!r}")
    if not 0 <= n <= 999_999_999_999:
        raise ValueError(f"{n} is outside 0..999,999,999,999")
    if n == 0:
        return "CERO"
    millions, rest = divmod(n, 1_000_000)
    parts = []
    if millions == 1:
        parts.append("UN MILLÓN")
    elif millions:
        # Millón is a masculine noun: "veintiún millones" whatever the currency.
        parts.append(_below_million(millions, "n") + " MILLONES")
    if rest:
        parts.append(_below_million(rest, ending))
    return " ".join(parts)


def amount_in_words(amount: Decimal, currency: str = "MXN") -> str:
    """'CIENTO VEINTE PESOS 50/100 M.N.' for Decimal('120.50'); rounds half up to cents.

    Known currencies read their noun (PESOS, DÓLARES, EUROS...); any other ISO code is written as
    is after the number ("CIEN 00/100 CHF").
    """
    if not isinstance(amount, Decimal):
        amount = Decimal(str(amount))
    cents_total = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if cents_total < 0:
        raise ValueError("a CFDI amount is never negative")
    if cents_total > MAX_AMOUNT:
        raise ValueError(f"{amount} is above {MAX_AMOUNT}")
    integer = int(cents_total)
    cents = int((cents_total - integer) * 100)
    code = currency.upper()
    words = CURRENCIES.get(code)
    if words is None:
        return f"{integer_in_words(integer)} {cents:02d}/100 {code}"
    number = integer_in_words(integer, ending="a" if words.feminine else "n")
    noun = words.singular if integer == 1 else words.plural
    if integer >= 1_000_000 and integer % 1_000_000 == 0:
        noun = f"DE {noun}"
    return f"{number} {noun} {cents:02d}/100 {words.suffix}"
