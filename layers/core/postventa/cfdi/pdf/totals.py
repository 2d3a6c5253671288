"""Taxes and totals: the amount in words on the left; on the right the figures that add up to
Total, in order: Subtotal, Descuento, each traslado and retención by tax and rate, each local tax
(implocal), Total."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from postventa.cfdi.parse import Cfdi, Impuesto
from postventa.cfdi.pdf.format import money, rate, retention_rates, tax_label
from postventa.cfdi.pdf.theme import WIDTH, grid, para, text, theme
from postventa.cfdi.words import amount_in_words

FIGURES_WIDTH = 92 * mm
LABEL_WIDTH = 54 * mm


def figure_rows(cfdi: Cfdi) -> list[tuple[str, str]]:
    """(label, amount) from Subtotal down to the last tax, in the order they add up to Total."""
    rows: list[tuple[str, str]] = [("Subtotal", money(cfdi.subtotal))]
    if cfdi.descuento:
        rows.append(("Descuento", "-" + money(cfdi.descuento)))
    for t in cfdi.traslados:
        label = tax_label(t, retained=False)
        if t.base is not None:
            label += f" sobre {money(t.base)}"
        rows.append((label, money(t.importe) if t.importe is not None else "—"))
    rates = retention_rates(cfdi)
    for t in cfdi.retenciones:
        shown = Impuesto(t.impuesto, t.importe, tasa_o_cuota=rates.get(t.impuesto))
        rows.append((tax_label(shown, retained=True), "-" + money(t.importe)))
    local = cfdi.impuestos_locales
    if local is not None:
        for entry in local.traslados:
            label = f"{entry.nombre} {rate(entry.tasa / 100)} (traslado local)"
            rows.append((label, money(entry.importe)))
        for entry in local.retenciones:
            label = f"{entry.nombre} {rate(entry.tasa / 100)} (retención local)"
            rows.append((label, "-" + money(entry.importe)))
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
    table = grid(
        figures,
        [LABEL_WIDTH, FIGURES_WIDTH - LABEL_WIDTH - 2 * mm],
        [
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, t.accent),
            ("BACKGROUND", (0, -1), (-1, -1), t.shade),
            ("TOPPADDING", (0, 0), (-1, -1), 1.4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.4),
        ],
    )
    return table


def _in_words(cfdi: Cfdi) -> list[Any]:
    """Total in words; on a payment receipt (Total 0) the payments' total, which is in MXN."""
    t = theme()
    if cfdi.pagos is not None:
        label = "Monto total de los pagos, con letra"
        words = amount_in_words(cfdi.pagos.monto_total_pagos, "MXN")
    else:
        label, words = "Importe con letra", amount_in_words(cfdi.total, cfdi.moneda)
    block = [para(label, t.label), Paragraph(f"<b>{text(words)}</b>", t.base)]
    if cfdi.tipo_cambio:
        block += [
            Spacer(1, 2 * mm),
            para(f"Tipo de cambio: 1 {cfdi.moneda} = {cfdi.tipo_cambio} MXN", t.label),
        ]
    return block


def totals(cfdi: Cfdi) -> list[Any]:
    table = grid(
        [[_in_words(cfdi), _figures(cfdi)]],
        [WIDTH - FIGURES_WIDTH, FIGURES_WIDTH],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
            ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
        ],
    )
    return [KeepTogether([table]), Spacer(1, 4 * mm)]
