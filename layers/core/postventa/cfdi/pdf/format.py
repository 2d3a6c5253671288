"""How figures, rates, dates and tax names read on the printed CFDI (pure, no reportlab)."""

from __future__ import annotations

from decimal import Decimal

from postventa.cfdi.parse import Cfdi, Impuesto
from postventa.cfdi.pdf.catalogs import CATALOGS


def money(value: Decimal | None) -> str:
    """'$1,234.56': at least two decimals, more when the XML carries them (6-decimal prices)."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    value = abs(value)
    exponent = value.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{sign}${value:,.{places}f}"


def quantity(value: Decimal) -> str:
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rate(value: Decimal | None) -> str:
    """0.160000 -> '16%'; 0.106667 -> '10.6667%'."""
    if value is None:
        return ""
    pct = (value * 100).normalize()
    return f"{pct:f}%"


def when(iso: str) -> str:
    """'2024-05-10T12:30:00' -> '10/05/2024 12:30:00' (SAT dates carry no zone: local time)."""
    date, _, time = iso.partition("T")
    parts = date.split("-")
    if len(parts) != 3:
        return iso
    return f"{parts[2]}/{parts[1]}/{parts[0]} {time}".strip()


def tax_label(tax: Impuesto, *, retained: bool) -> str:
    name = CATALOGS["Impuesto"].get(tax.impuesto, tax.impuesto)
    if retained:
        base = f"{name} retenido"
        return f"{base} {rate(tax.tasa_o_cuota)}" if tax.tasa_o_cuota is not None else base
    if tax.tipo_factor == "Exento":
        return f"{name} exento"
    if tax.tipo_factor == "Cuota":
        return f"{name} cuota {tax.tasa_o_cuota}"
    return f"{name} {rate(tax.tasa_o_cuota)}".strip()


def retention_rates(cfdi: Cfdi) -> dict[str, Decimal]:
    """Retention summaries carry no rate: show it when all concepts retain that tax at one rate."""
    seen: dict[str, set[Decimal]] = {}
    for c in cfdi.conceptos:
        for r in c.retenciones:
            if r.tasa_o_cuota is not None and r.tipo_factor == "Tasa":
                seen.setdefault(r.impuesto, set()).add(r.tasa_o_cuota)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
