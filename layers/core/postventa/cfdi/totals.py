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
from typing import Any

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


_NS = "{http://www.sat.gob.mx/cfd/4}"
_CONCEPTO = f"{_NS}Concepto"
_IMPUESTOS = f"{_NS}Impuestos"
_TRASLADO = f"{_NS}Traslado"
_RETENCION = f"{_NS}Retencion"
# 10^-d / 2 for d recorded decimals (what importe_bounds / tax_bounds compute with scaleb)
_HALVES = [Decimal(1).scaleb(-d) / 2 for d in range(13)]


def _number(raw: str | None) -> tuple[Decimal, Decimal]:
    """(value, 10^-d / 2) of an attribute as written: d = its recorded decimals, as decimals_of
    counts them (read off the text: Decimal.as_tuple() is the slow part of the audit)."""
    if not raw:
        return ZERO, _HALVES[0]
    text = raw.strip()
    if "e" in text or "E" in text:  # not xs:decimal lexical form; count the slow way
        value = Decimal(text)
        d = decimals_of(value)
    else:
        value = Decimal(text)
        d = len(text.partition(".")[2])
    return value, (_HALVES[d] if d < len(_HALVES) else Decimal(1).scaleb(-d) / 2)


def _tax_range(base: Decimal, half: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """tax_bounds(base, rate) with `half` = 10^-d / 2 of base already known."""
    low = max(((base - half) * rate).quantize(CENT, rounding=ROUND_DOWN), ZERO)
    return low, ((base + half) * rate).quantize(CENT, rounding=ROUND_CEILING)


def audit_amounts(comprobante: Any) -> list[str]:
    """Check a CFDI 4.0 (lxml element) against SAT's arithmetic rules; return the problems as
    (code, Spanish text) strings. Used by the sandbox PAC and by tests as an independent oracle.

    Codes follow the PAC matrix (CFDI40107 SubTotal, CFDI40108 Descuento, CFDI40119 Total,
    CFDI40160s for conceptos' traslados, CFDI4017x/4018x for retenciones...): exact numbers
    differ between matrix versions. One pass over the tree, each attribute read once.
    """
    problems: list[str] = []
    subtotal = descuento = traslados_total = retenidos_total = ZERO
    # (Impuesto, TipoFactor, TasaOCuota) -> [sum of Base, sum of Importe]
    grouped: dict[tuple[str, str, str], list[Decimal]] = {}
    retained: dict[str, Decimal] = {}  # Impuesto -> sum of Importe
    conceptos = comprobante.find(f"{_NS}Conceptos")
    children = conceptos.iterchildren(_CONCEPTO) if conceptos is not None else ()
    for n, concepto in enumerate(children, start=1):
        get = concepto.get
        cantidad, half_c = _number(get("Cantidad"))
        valor, half_v = _number(get("ValorUnitario"))
        importe = Decimal(get("Importe") or 0)
        raw_desc = get("Descuento")
        desc = Decimal(raw_desc) if raw_desc else ZERO
        low = ((cantidad - half_c) * (valor - half_v)).quantize(CENT, rounding=ROUND_DOWN)
        high = ((cantidad + half_c) * (valor + half_v)).quantize(CENT, rounding=ROUND_CEILING)
        if not low <= importe <= high:
            problems.append(f"CFDI40154: concepto {n}: Importe {importe} fuera de [{low}, {high}]")
        if valor <= 0:
            problems.append(f"CFDI40153: concepto {n}: ValorUnitario debe ser mayor que cero")
        if desc > importe:
            problems.append(f"CFDI40155: concepto {n}: Descuento mayor que Importe")
        subtotal += importe
        descuento += desc
        impuestos = None
        for child in concepto:  # find() parses its path on every call: ~10x slower
            if child.tag == _IMPUESTOS:
                impuestos = child
                break
        objeto = get("ObjetoImp")
        if objeto == "02" and impuestos is None:
            problems.append(f"CFDI40157: concepto {n}: ObjetoImp 02 requiere Impuestos")
        if objeto == "01" and impuestos is not None:
            problems.append(f"CFDI40157: concepto {n}: ObjetoImp 01 no admite Impuestos")
        if impuestos is None:
            continue
        for group in impuestos:  # Traslados / Retenciones
            for tax in group:
                if tax.tag == _TRASLADO:
                    get = tax.get
                    base, half_b = _number(get("Base"))
                    factor = get("TipoFactor") or ""
                    tasa = get("TasaOCuota") or ""
                    raw_amount = get("Importe")
                    amount = Decimal(raw_amount) if raw_amount is not None else None
                    if base <= 0:
                        problems.append(f"CFDI40161: concepto {n}: Base debe ser mayor que cero")
                    if base != importe - desc:
                        problems.append(
                            f"CFDI40161: concepto {n}: Base {base} != Importe - Descuento"
                        )
                    if factor == "Tasa" and amount is not None and tasa:
                        low, high = _tax_range(base, half_b, Decimal(tasa))
                        if not low <= amount <= high:
                            problems.append(
                                f"CFDI40167: concepto {n}: Importe de traslado {amount} fuera "
                                f"de [{low}, {high}]"
                            )
                        traslados_total += amount
                    key = (get("Impuesto") or "", factor, tasa)
                    sums = grouped.get(key)
                    if sums is None:
                        sums = grouped[key] = [ZERO, ZERO]
                    sums[0] += base
                    sums[1] += amount or ZERO
                elif tax.tag == _RETENCION:
                    get = tax.get
                    base, half_b = _number(get("Base"))
                    amount = Decimal(get("Importe") or 0)
                    tasa = get("TasaOCuota") or ""
                    if base <= 0:
                        problems.append(
                            f"CFDI40168: concepto {n}: Base de retención debe ser mayor que cero"
                        )
                    if get("TipoFactor") == "Tasa" and tasa:
                        low, high = _tax_range(base, half_b, Decimal(tasa))
                        if not low <= amount <= high:
                            problems.append(
                                f"CFDI40173: concepto {n}: Importe de retención {amount} fuera "
                                f"de [{low}, {high}]"
                            )
                    retenidos_total += amount
                    impuesto = get("Impuesto") or ""
                    retained[impuesto] = retained.get(impuesto, ZERO) + amount
    totals = comprobante.attrib
    if Decimal(totals.get("SubTotal", "0")) != subtotal:
        problems.append(f"CFDI40108: SubTotal {totals.get('SubTotal')} != suma {subtotal}")
    if Decimal(totals.get("Descuento", "0")) != descuento:
        problems.append(f"CFDI40110: Descuento {totals.get('Descuento')} != suma {descuento}")
    impuestos_root = comprobante.find(_IMPUESTOS)
    declared_traslados = declared_retenidos = ZERO
    if impuestos_root is not None:
        declared_traslados = Decimal(impuestos_root.get("TotalImpuestosTrasladados", "0"))
        declared_retenidos = Decimal(impuestos_root.get("TotalImpuestosRetenidos", "0"))
        for traslado in impuestos_root.iter(_TRASLADO):
            t = traslado.attrib
            key = (t.get("Impuesto") or "", t.get("TipoFactor") or "", t.get("TasaOCuota") or "")
            bases, amounts = grouped.pop(key, (ZERO, ZERO))
            if Decimal(t.get("Base", "0")) != bases:
                problems.append(f"CFDI40188: Base del traslado {key} != suma de conceptos {bases}")
            if t.get("Importe") is not None and Decimal(t.get("Importe")) != amounts:
                problems.append(f"CFDI40189: Importe del traslado {key} != suma {amounts}")
        for retencion in impuestos_root.iter(_RETENCION):
            impuesto = retencion.get("Impuesto") or ""
            amount = retained.pop(impuesto, ZERO)
            if Decimal(retencion.get("Importe", "0")) != amount:
                problems.append(f"CFDI40185: Importe de la retención {impuesto} != suma {amount}")
    if grouped:
        problems.append("CFDI40187: faltan traslados en el resumen de impuestos")
    if retained:
        problems.append("CFDI40184: faltan retenciones en el resumen de impuestos")
    if declared_traslados != traslados_total:
        problems.append(
            f"CFDI40181: TotalImpuestosTrasladados {declared_traslados} != {traslados_total}"
        )
    if declared_retenidos != retenidos_total:
        problems.append(
            f"CFDI40180: TotalImpuestosRetenidos {declared_retenidos} != {retenidos_total}"
        )
    expected_total = subtotal - descuento + traslados_total - retenidos_total
    if Decimal(totals.get("Total", "0")) != expected_total:
        problems.append(f"CFDI40119: Total {totals.get('Total')} != {expected_total}")
    return problems
