"""The conceptos table: one row per concepto, and under it a detail line with its taxes (every
traslado and retención with base, rate and importe), the third party it is billed for, customs
and property numbers, its partes and its concept-level complements."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from postventa.cfdi.parse import Concepto, Impuesto, Nodo, Parte
from postventa.cfdi.pdf.catalogs import CATALOGS, complement_title, describe
from postventa.cfdi.pdf.format import money, quantity, tax_label
from postventa.cfdi.pdf.tables import Item, item_table
from postventa.cfdi.pdf.theme import WIDTH

HEADINGS = (
    "Clave prod./serv.",
    "No. identificación",
    "Cantidad",
    "Clave unidad",
    "Descripción",
    "Valor unitario",
    "Descuento",
    "Importe",
    "Obj. imp.",
)
NUMERIC = frozenset({2, 5, 6, 7})


def column_widths() -> list[float]:
    """Fixed widths in points; the description takes what the others leave."""
    widths_mm = [16.0, 25.0, 15.0, 22.0, 0.0, 21.0, 16.0, 21.0, 9.0]
    widths_mm[4] = WIDTH / mm - sum(widths_mm)
    return [w * mm for w in widths_mm]


def tax_lines(traslados: tuple[Impuesto, ...], retenciones: tuple[Impuesto, ...]) -> list[str]:
    """'Traslado IVA 16%: base $100.00, importe $16.00' for each tax of a concepto or document."""
    lines = []
    for kind, taxes in (("Traslado", traslados), ("Retención", retenciones)):
        for tax in taxes:
            parts = [f"base {money(tax.base)}"] if tax.base is not None else []
            if tax.importe is not None:
                parts.append(f"importe {money(tax.importe)}")
            lines.append(f"{kind} {tax_label(tax, retained=False)}: {', '.join(parts)}")
    return lines


def attributes_line(node: Nodo) -> str:
    return " · ".join(f"{k}: {v}" for k, v in node.attributes)


def _parte(p: Parte) -> str:
    pieces = [f"{quantity(p.cantidad)} {p.unidad or ''}".strip(), p.clave_prod_serv]
    if p.no_identificacion:
        pieces.append(f"No. {p.no_identificacion}")
    pieces.append(p.descripcion)
    if p.valor_unitario is not None:
        pieces.append(f"valor unitario {money(p.valor_unitario)}")
    if p.importe is not None:
        pieces.append(f"importe {money(p.importe)}")
    pieces += [f"pedimento {n}" for n in p.pedimentos]
    return "Parte: " + ", ".join(pieces)


def concepto_details(c: Concepto) -> list[str]:
    lines = tax_lines(c.traslados, c.retenciones)
    if c.a_cuenta_terceros is not None:
        t = c.a_cuenta_terceros
        lines.append(
            f"A cuenta de terceros: {t.nombre}, RFC {t.rfc}, régimen "
            f"{describe('RegimenFiscal', t.regimen_fiscal)}, domicilio fiscal (C.P.) "
            f"{t.domicilio_fiscal}"
        )
    lines += [f"Pedimento: {n}" for n in c.pedimentos]
    lines += [f"Cuenta predial: {n}" for n in c.cuentas_prediales]
    lines += [_parte(p) for p in c.partes]
    for node in c.complementos:
        lines += [
            f"{complement_title(node)} · {element.name}: {attributes_line(element)}"
            for _, element in node.walk()
            if element.attributes
        ]
    return lines


def _item(c: Concepto) -> Item:
    unit_name = c.unidad or CATALOGS["ClaveUnidad"].get(c.clave_unidad, "")
    return Item(
        cells=(
            c.clave_prod_serv,
            c.no_identificacion or "",
            quantity(c.cantidad),
            f"{c.clave_unidad} {unit_name}".strip(),
            c.descripcion,
            money(c.valor_unitario),
            money(c.descuento) if c.descuento else "",
            money(c.importe),
            c.objeto_imp,
        ),
        details=concepto_details(c),
    )


def conceptos_table(conceptos: tuple[Concepto, ...]) -> list[Any]:
    items = [_item(c) for c in conceptos]
    return [item_table(HEADINGS, column_widths(), NUMERIC, items), Spacer(1, 3 * mm)]
