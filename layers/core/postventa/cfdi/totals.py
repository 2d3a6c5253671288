"""Gross (IVA included) amounts -> CFDI net amounts that add up to what the buyer paid, to the cent.

Pure Decimal arithmetic, no satcfdi. Every amount the CFDI carries has 2 decimals (MXN and USD),
except ValorUnitario (up to 6), so the comprobante sums are exact. SAT rules used (Anexo 20 4.0,
Guía de llenado, "límites" of the PAC validations):

* Concepto Importe = Cantidad x ValorUnitario, within [ (C - 10^-dC/2)(V - 10^-dV/2) truncated,
  (C + 10^-dC/2)(V + 10^-dV/2) rounded up ] -- we aim at the exact product rounded to cents.
* Traslado Importe = Base x TasaOCuota within [ (B - 10^-dB/2) x Tasa truncated,
  (B + 10^-dB/2) x Tasa rounded up ] at the currency's decimals. That tolerance (about two cents
  wide) is what lets Base + Importe equal the gross amount exactly.
* Traslado Base = Importe - Descuento of the concepto, and must be > 0.
* Total = SubTotal - Descuento + TotalImpuestosTrasladados.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from postventa.cfdi.errors import InvoiceBuildError
from postventa.cfdi.issuer import TaxTreatment

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
_HALF_CENT = Decimal("0.005")
ZERO = Decimal("0")


def cents(value: Decimal) -> Decimal:
    """Round half up to cents (how a shop rounds what the buyer pays)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimals_of(value: Decimal) -> int:
    """Decimals as written (Decimal("1.50") -> 2): SAT's limits use the recorded precision."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _trim(value: Decimal) -> Decimal:
    """Drop trailing zeros beyond the 2nd decimal (12.500000 -> 12.50)."""
    trimmed = value.normalize()
    return trimmed if decimals_of(trimmed) > 2 else value.quantize(CENT)


def tax_bounds(base: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """SAT's accepted range for a traslado Importe given its Base (2-decimal amounts)."""
    half = Decimal(1).scaleb(-decimals_of(base)) / 2
    low = ((base - half) * rate).quantize(CENT, rounding=ROUND_DOWN)
    high = ((base + half) * rate).quantize(CENT, rounding=ROUND_CEILING)
    return max(low, ZERO), high


def importe_bounds(cantidad: Decimal, valor_unitario: Decimal) -> tuple[Decimal, Decimal]:
    """SAT's accepted range for a concepto Importe given Cantidad and ValorUnitario."""
    half_c = Decimal(1).scaleb(-decimals_of(cantidad)) / 2
    half_v = Decimal(1).scaleb(-decimals_of(valor_unitario)) / 2
    low = ((cantidad - half_c) * (valor_unitario - half_v)).quantize(CENT, rounding=ROUND_DOWN)
    high = ((cantidad + half_c) * (valor_unitario + half_v)).quantize(CENT, rounding=ROUND_CEILING)
    return low, high


@dataclass(frozen=True, slots=True)
class ConceptAmounts:
    """Net amounts of one concepto, ready for the CFDI."""

    cantidad: Decimal
    valor_unitario: Decimal
    importe: Decimal
    descuento: Decimal
    tax: TaxTreatment  # NO_OBJETO when the base came out as zero
    base: Decimal
    tax_amount: Decimal | None  # None for exento / no objeto

    @property
    def total(self) -> Decimal:
        return self.base + (self.tax_amount or ZERO)


def split_gross(paid: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(Base, IVA) in cents: Base + IVA == paid, IVA inside SAT's tolerance of Base x rate."""
    guess = cents(paid / (1 + rate))
    for delta in (0, -1, 1, -2, 2, -3, 3):
        base = guess + CENT * delta
        if base <= 0:
            continue
        tax = paid - base
        low, high = tax_bounds(base, rate)
        if low <= tax <= high:
            return base, tax
    raise InvoiceBuildError(  # never seen for any amount up to 3,000.00 (checked exhaustively)
        f"No fue posible desglosar el IVA de {paid} al centavo."
    )


def unit_value(cantidad: Decimal, importe: Decimal) -> Decimal:
    """ValorUnitario (<= 6 decimals, > 0) with Cantidad x ValorUnitario rounding to `importe`."""
    guess = (importe / cantidad).quantize(MICRO, rounding=ROUND_HALF_UP)
    for delta in (0, -1, 1, -2, 2):
        value = guess + MICRO * delta
        if value > 0 and (cantidad * value).quantize(CENT, rounding=ROUND_HALF_EVEN) == importe:
            return _trim(value)
    raise InvoiceBuildError(
        f"No fue posible expresar el importe {importe} para la cantidad {cantidad} "
        "con un valor unitario de 6 decimales."
    )


def net_concept(
    cantidad: Decimal, gross: Decimal, paid: Decimal, tax: TaxTreatment
) -> ConceptAmounts:
    """Net amounts of a concepto whose buyer-facing gross is `gross` before and `paid` after the
    discount (both in cents, gross >= paid >= 0, gross > 0)."""
    rate = tax.rate
    if paid == 0:
        # Fully discounted: Base would be 0, which no traslado accepts (Base > 0): the concepto
        # goes as ObjetoImp 01 with Importe == Descuento.
        importe = cents(gross / (1 + (rate or ZERO)))
        return ConceptAmounts(
            cantidad,
            unit_value(cantidad, importe),
            importe,
            importe,
            TaxTreatment.NO_OBJETO,
            ZERO,
            None,
        )
    if not rate:  # iva0, exento, no objeto: net == gross
        tax_amount = ZERO.quantize(CENT) if tax is TaxTreatment.IVA0 else None
        return ConceptAmounts(
            cantidad, unit_value(cantidad, gross), gross, gross - paid, tax, paid, tax_amount
        )
    base, tax_amount = split_gross(paid, rate)
    # without discount Importe is the Base; a 1-cent gross discount may vanish in the rounding
    importe = base if gross == paid else max(cents(gross / (1 + rate)), base)
    return ConceptAmounts(
        cantidad, unit_value(cantidad, importe), importe, importe - base, tax, base, tax_amount
    )


@dataclass(frozen=True, slots=True)
class GrossLine:
    """One buyer-facing line: quantity, gross before discount, gross discount, tax treatment."""

    cantidad: Decimal
    gross: Decimal  # quantity x gross unit price, may have sub-cent digits
    discount: Decimal
    tax: TaxTreatment


def reconcile(lines: Sequence[GrossLine], total_paid: Decimal) -> list[tuple[Decimal, Decimal]]:
    """Per line (gross, paid) in cents whose paid amounts add up exactly to `total_paid`.

    Lines whose raw amounts have sub-cent digits (fractional quantities, 3-decimal prices) may
    absorb one cent each; any larger difference means the order's total disagrees with its lines.
    """
    if total_paid != total_paid.quantize(CENT):
        raise InvoiceBuildError(f"El total pagado {total_paid} tiene más de dos decimales.")
    rounded: list[tuple[Decimal, Decimal]] = []
    residues: list[tuple[Decimal, int]] = []  # (rounded - raw, index) of inexact lines
    for i, line in enumerate(lines):
        raw_paid = max(line.gross - line.discount, ZERO)  # 35.21 off a 35.20846 line is "free"
        if line.discount > cents(line.gross):
            raise InvoiceBuildError(
                f"El descuento de la partida {i + 1} ({line.discount}) es mayor que su importe "
                f"({line.gross})."
            )
        gross, paid = cents(line.gross), cents(raw_paid)
        if gross != line.gross or paid != raw_paid:
            residues.append((paid - raw_paid, i))
        rounded.append((gross, paid))
    difference = total_paid - sum((p for _, p in rounded), ZERO)
    steps = int(difference / CENT)
    # a line rounded down gives back a cent first when the total is higher, and vice versa
    candidates = [i for _, i in sorted(residues, reverse=steps < 0)]
    if steps < 0:
        candidates = [i for i in candidates if rounded[i][1] > 0]
    if abs(steps) > len(candidates):
        raise InvoiceBuildError(
            f"El total pagado ({total_paid}) no coincide con la suma de las partidas y el envío "
            f"({total_paid - difference}): la diferencia de {difference} no se explica por "
            "redondeo. Revise precios, descuentos y envío del pedido."
        )
    unit = CENT if steps > 0 else -CENT
    for i in candidates[: abs(steps)]:
        gross, paid = rounded[i]
        rounded[i] = (max(gross, paid + unit), paid + unit)
    return rounded
