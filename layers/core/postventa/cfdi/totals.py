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
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class _Sums:
    """What the conceptos add up to, for the comprobante's own totals to be checked against."""

    subtotal: Decimal = ZERO
    descuento: Decimal = ZERO
    traslados: Decimal = ZERO  # Importe of the conceptos' Tasa traslados
    retenidos: Decimal = ZERO
    # (Impuesto, TipoFactor, TasaOCuota) -> [sum of Base, sum of Importe]
    by_traslado: dict[tuple[str, str, str], list[Decimal]] = field(default_factory=dict)
    by_retencion: dict[str, Decimal] = field(default_factory=dict)  # Impuesto -> sum of Importe


def audit_amounts(comprobante: Any) -> list[str]:
    """Check a CFDI 4.0 (lxml element) against SAT's arithmetic rules; return the problems as
    (code, Spanish text) strings. Used by the sandbox PAC and by tests as an independent oracle.

    Codes follow the PAC matrix (CFDI40107 SubTotal, CFDI40108 Descuento, CFDI40119 Total,
    CFDI40160s for conceptos' traslados, CFDI4017x/4018x for retenciones...): exact numbers
    differ between matrix versions. One pass over the tree, each attribute read once.
    """
    problems: list[str] = []
    sums = _Sums()
    conceptos = comprobante.find(f"{_NS}Conceptos")
    children = conceptos.iterchildren(_CONCEPTO) if conceptos is not None else ()
    for n, concepto in enumerate(children, start=1):
        _audit_concepto(n, concepto, sums, problems)
    _audit_comprobante(comprobante, sums, problems)
    return problems


def _audit_concepto(n: int, concepto: Any, sums: _Sums, problems: list[str]) -> None:
    """Importe inside SAT's range, ValorUnitario > 0, Descuento <= Importe, ObjetoImp vs its
    Impuestos node, then each of its traslados and retenciones."""
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
    sums.subtotal += importe
    sums.descuento += desc
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
        return
    for group in impuestos:  # Traslados / Retenciones
        for tax in group:
            if tax.tag == _TRASLADO:
                _audit_traslado(n, tax, importe - desc, sums, problems)
            elif tax.tag == _RETENCION:
                _audit_retencion(n, tax, sums, problems)


def _audit_traslado(
    n: int, tax: Any, expected_base: Decimal, sums: _Sums, problems: list[str]
) -> None:
    """Base > 0 and == Importe - Descuento; a Tasa's Importe inside SAT's range of Base x Tasa."""
    get = tax.get
    base, half_b = _number(get("Base"))
    factor = get("TipoFactor") or ""
    tasa = get("TasaOCuota") or ""
    raw_amount = get("Importe")
    amount = Decimal(raw_amount) if raw_amount is not None else None
    if base <= 0:
        problems.append(f"CFDI40161: concepto {n}: Base debe ser mayor que cero")
    if base != expected_base:
        problems.append(f"CFDI40161: concepto {n}: Base {base} != Importe - Descuento")
    if factor == "Tasa" and amount is not None and tasa:
        low, high = _tax_range(base, half_b, Decimal(tasa))
        if not low <= amount <= high:
            problems.append(
                f"CFDI40167: concepto {n}: Importe de traslado {amount} fuera de [{low}, {high}]"
            )
        sums.traslados += amount
    key = (get("Impuesto") or "", factor, tasa)
    group = sums.by_traslado.get(key)
    if group is None:
        group = sums.by_traslado[key] = [ZERO, ZERO]
    group[0] += base
    group[1] += amount or ZERO


def _audit_retencion(n: int, tax: Any, sums: _Sums, problems: list[str]) -> None:
    """Base > 0; a Tasa's Importe inside SAT's range of Base x Tasa."""
    get = tax.get
    base, half_b = _number(get("Base"))
    amount = Decimal(get("Importe") or 0)
    tasa = get("TasaOCuota") or ""
    if base <= 0:
        problems.append(f"CFDI40168: concepto {n}: Base de retención debe ser mayor que cero")
    if get("TipoFactor") == "Tasa" and tasa:
        low, high = _tax_range(base, half_b, Decimal(tasa))
        if not low <= amount <= high:
            problems.append(
                f"CFDI40173: concepto {n}: Importe de retención {amount} fuera de [{low}, {high}]"
            )
    sums.retenidos += amount
    impuesto = get("Impuesto") or ""
    sums.by_retencion[impuesto] = sums.by_retencion.get(impuesto, ZERO) + amount


def _audit_comprobante(comprobante: Any, sums: _Sums, problems: list[str]) -> None:
    """SubTotal, Descuento, the Impuestos summary and Total against what the conceptos add up to."""
    totals = comprobante.attrib
    if Decimal(totals.get("SubTotal", "0")) != sums.subtotal:
        problems.append(f"CFDI40108: SubTotal {totals.get('SubTotal')} != suma {sums.subtotal}")
    if Decimal(totals.get("Descuento", "0")) != sums.descuento:
        problems.append(f"CFDI40110: Descuento {totals.get('Descuento')} != suma {sums.descuento}")
    _audit_impuestos_summary(comprobante.find(_IMPUESTOS), sums, problems)
    expected_total = sums.subtotal - sums.descuento + sums.traslados - sums.retenidos
    if Decimal(totals.get("Total", "0")) != expected_total:
        problems.append(f"CFDI40119: Total {totals.get('Total')} != {expected_total}")


def _audit_impuestos_summary(summary: Any, sums: _Sums, problems: list[str]) -> None:
    """The comprobante's Impuestos node: one row per traslado group and per retained tax, each
    equal to the conceptos' sum, and the two declared totals."""
    declared_traslados = declared_retenidos = ZERO
    pending_traslados = dict(sums.by_traslado)
    pending_retenciones = dict(sums.by_retencion)
    if summary is not None:
        declared_traslados = Decimal(summary.get("TotalImpuestosTrasladados", "0"))
        declared_retenidos = Decimal(summary.get("TotalImpuestosRetenidos", "0"))
        for traslado in summary.iter(_TRASLADO):
            t = traslado.attrib
            key = (t.get("Impuesto") or "", t.get("TipoFactor") or "", t.get("TasaOCuota") or "")
            bases, amounts = pending_traslados.pop(key, (ZERO, ZERO))
            if Decimal(t.get("Base", "0")) != bases:
                problems.append(f"CFDI40188: Base del traslado {key} != suma de conceptos {bases}")
            if t.get("Importe") is not None and Decimal(t.get("Importe")) != amounts:
                problems.append(f"CFDI40189: Importe del traslado {key} != suma {amounts}")
        for retencion in summary.iter(_RETENCION):
            impuesto = retencion.get("Impuesto") or ""
            amount = pending_retenciones.pop(impuesto, ZERO)
            if Decimal(retencion.get("Importe", "0")) != amount:
                problems.append(f"CFDI40185: Importe de la retención {impuesto} != suma {amount}")
    if pending_traslados:
        problems.append("CFDI40187: faltan traslados en el resumen de impuestos")
    if pending_retenciones:
        problems.append("CFDI40184: faltan retenciones en el resumen de impuestos")
    if declared_traslados != sums.traslados:
        problems.append(
            f"CFDI40181: TotalImpuestosTrasladados {declared_traslados} != {sums.traslados}"
        )
    if declared_retenidos != sums.retenidos:
        problems.append(
            f"CFDI40180: TotalImpuestosRetenidos {declared_retenidos} != {sums.retenidos}"
        )
