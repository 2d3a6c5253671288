"""The conceptos table: one row per concepto, its header repeated on every page."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from postventa.cfdi.parse import Cfdi, Concepto
from postventa.cfdi.pdf.catalogs import CATALOGS
from postventa.cfdi.pdf.format import money, quantity
from postventa.cfdi.pdf.theme import WIDTH, text, theme

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
DESCRIPTION = 4
CELL_FONT, CELL_SIZE, CELL_LEADING, CELL_PADDING = "Helvetica", 7, 8.6, 3


def column_widths() -> list[float]:
    """Fixed widths in points; the description takes what the others leave."""
    widths_mm = [16.0, 27.0, 13.0, 22.0, 0.0, 21.0, 16.0, 21.0, 9.0]
    widths_mm[DESCRIPTION] = WIDTH / mm - sum(widths_mm)
    return [w * mm for w in widths_mm]


class _Cells:
    """Builds cells: a plain string when the text fits on one line (much faster to lay out than a
    Paragraph), else a wrapping Paragraph."""

    def __init__(self, widths: list[float]) -> None:
        self.inner = [w - 2 * CELL_PADDING for w in widths]

    def __call__(self, value: str, column: int, style: ParagraphStyle | None = None) -> Any:
        if stringWidth(value, CELL_FONT, CELL_SIZE) <= self.inner[column]:
            return value
        return Paragraph(text(value), style or theme().small)


def _row(c: Concepto, cell: _Cells) -> list[Any]:
    right = theme().right
    unit_name = c.unidad or CATALOGS["ClaveUnidad"].get(c.clave_unidad, "")
    return [
        cell(c.clave_prod_serv, 0),
        cell(c.no_identificacion or "", 1),
        cell(quantity(c.cantidad), 2, right),
        cell(f"{c.clave_unidad} {unit_name}".strip(), 3),
        cell(c.descripcion, DESCRIPTION),
        cell(money(c.valor_unitario), 5, right),
        cell(money(c.descuento) if c.descuento else "", 6, right),
        cell(money(c.importe), 7, right),
        cell(c.objeto_imp, 8),
    ]


def conceptos_table(cfdi: Cfdi) -> list[Any]:
    t = theme()
    widths = column_widths()
    cell = _Cells(widths)
    rows: list[list[Any]] = [
        [Paragraph(text(h), t.head_r if i in NUMERIC else t.head) for i, h in enumerate(HEADINGS)]
    ]
    rows += [_row(c, cell) for c in cfdi.conceptos]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), t.accent),
                ("FONT", (0, 1), (-1, -1), CELL_FONT, CELL_SIZE, CELL_LEADING),
                ("TEXTCOLOR", (0, 1), (-1, -1), t.ink),
                *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in sorted(NUMERIC)],
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, t.zebra]),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, t.rule),
                ("BOX", (0, 0), (-1, -1), 0.5, t.accent),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [table, Spacer(1, 3 * mm)]
