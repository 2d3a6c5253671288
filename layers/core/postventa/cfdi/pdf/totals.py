"""Taxes and totals: the amount in words on the left, the figures that add up to Total on the
right."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from postventa.cfdi.parse import Cfdi, Impuesto
from postventa.cfdi.pdf.format import money, retention_rates, tax_label
from postventa.cfdi.pdf.theme import WIDTH, para, text, theme
from postventa.cfdi.words import amount_in_words

FIGURES_WIDTH = 70 * mm


def figure_rows(cfdi: Cfdi) -> list[tuple[str, str]]:
    """(label, amount) from Subtotal down to the last tax, in the order they add up."""
    rows: list[tuple[str, str]] = [("Subtotal", money(cfdi.subtotal))]
    if cfdi.descuento:
        rows.append(("Descuento", "-" + money(cfdi.descuento)))
    for t in cfdi.traslados:
        rows.append(
            (tax_label(t, retained=False), money(t.importe) if t.importe is not None else "—")
        )
    rates = retention_rates(cfdi)
    for t in cfdi.retenciones:
        shown = Impuesto(t.impuesto, t.importe, tasa_o_cuota=rates.get(t.impuesto))
        rows.append((tax_label(shown, retained=True), "-" + money(t.importe)))
    return rows


def _figures(cfdi: Cfdi) -> Any:
    t = theme()
    figures = [[para(k, t.right), para(v, t.right)] for k, v in figure_rows(cfdi)]
    figures.append(
        [
            Paragraph(f"<b>Total {text(cfdi.moneda)}</b>", t.total_label),
            Paragraph(f"<b>{text(money(cfdi.total))}</b>", t.total_value),
        ]
    )
    table = Table(figures, colWidths=[38 * mm, 30 * mm])
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, t.accent),
                ("BACKGROUND", (0, -1), (-1, -1), t.shade),
                ("TOPPADDING", (0, 0), (-1, -1), 1.4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.4),
            ]
        )
    )
    return table


def _in_words(cfdi: Cfdi) -> list[Any]:
    t = theme()
    block = [
        para("Importe con letra", t.label),
        Paragraph(f"<b>{text(amount_in_words(cfdi.total, cfdi.moneda))}</b>", t.base),
    ]
    if cfdi.tipo_cambio:
        block += [
            Spacer(1, 2 * mm),
            para(f"Tipo de cambio: 1 {cfdi.moneda} = {cfdi.tipo_cambio} MXN", t.label),
        ]
    return block


def totals(cfdi: Cfdi) -> list[Any]:
    table = Table(
        [[_in_words(cfdi), _figures(cfdi)]], colWidths=[WIDTH - FIGURES_WIDTH, FIGURES_WIDTH]
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
            ]
        )
    )
    return [KeepTogether([table]), Spacer(1, 4 * mm)]
