"""The self-invoice portal's rules: how a buyer's order number and total are compared.

A buyer who lost the billing link finds the order by store, order number and the exact total
paid. Numbers are compared as people write them ("#1001", "1001 ", "# 1001" are one number) and
totals to the cent ("$1,057.10", "1057.1" and "1,057.10 MXN" are one amount); anything else must
match exactly, so a near guess finds nothing.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

# Longer than any channel's order number (Amazon's 19, Mercado Libre's 16 digits); a longer text
# is not a number we issued and is never looked up.
MAX_ORDER_NUMBER = 64
# The largest total a buyer may type: far above any single online order, below nonsense.
MAX_TOTAL = Decimal("100000000")
_CENT = Decimal("0.01")
_SPACES = re.compile(r"\s+")
_CURRENCY = re.compile(r"^(?:MXN|USD|EUR|M\.N\.|MN)|(?:MXN|USD|EUR|M\.N\.|MN)$")
# Thousands with commas ("1,057.10", "12,345"), or a plain number with up to two decimals.
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?$")
_PLAIN = re.compile(r"^\d+(?:\.\d{1,2})?$")
# A decimal comma as some people type it ("1057,10"): exactly two digits after one comma.
_DECIMAL_COMMA = re.compile(r"^\d+,\d{2}$")


def order_number_key(text: str) -> str:
    """The order number as compared and stored for lookups: NFKC, no spaces, upper case, no
    leading "#" (Shopify shows "#1001"; buyers type "1001" as often). "" when nothing is left."""
    compact = _SPACES.sub("", unicodedata.normalize("NFKC", text)).upper()
    return compact.lstrip("#")


def is_order_number(key: str) -> bool:
    """A key worth looking up: non-empty, not absurdly long, printable."""
    return 0 < len(key) <= MAX_ORDER_NUMBER and key.isprintable()


def parse_total(text: str) -> Decimal | None:
    """The amount a buyer typed, to the cent, or None when it is not an amount.

    Accepts "$1,057.10", "1057.1", "1,057.10 MXN", "1057,10"; refuses more than two decimals
    (no rounding: a total is matched exactly), negative numbers and words."""
    compact = _SPACES.sub("", unicodedata.normalize("NFKC", text)).upper()
    compact = _CURRENCY.sub("", compact).replace("$", "")
    if _DECIMAL_COMMA.match(compact):
        compact = compact.replace(",", ".")
    elif _GROUPED.match(compact):
        compact = compact.replace(",", "")
    if not _PLAIN.match(compact):
        return None
    value = Decimal(compact)  # the pattern admits only digits and one dot
    return value.quantize(_CENT) if value <= MAX_TOTAL else None


def same_total(paid: Decimal, typed: Decimal) -> bool:
    """The order's total and the typed one are the same amount to the cent."""
    return Decimal(paid).quantize(_CENT) == typed.quantize(_CENT)
