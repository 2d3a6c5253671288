"""The long tables (conceptos, a payment's related documents): one row per item, its detail lines
(taxes and other data) printed inside the same row under its figures, the header repeated on every
page.

A detail spans the row's width, but is not a spanned cell: the last cell draws it (`ItemCell`),
from the second column's edge across the empty space under the figures (last, so that the PDF's
text reads the row's figures before its detail). So the table needs no per-row style command
(SPAN, NOSPLIT, BACKGROUND...), whose cost reportlab pays again at every page split (quadratic in
the rows: a 1,000-concepto invoice took 3 s with them), and an item never breaks across pages away
from its detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph
from reportlab.platypus.flowables import Flowable

from postventa.cfdi.pdf.fonts import TEXT, draw_string, is_plain
from postventa.cfdi.pdf.theme import grid, text, theme

CELL_FONT, CELL_SIZE, CELL_LEADING, CELL_PADDING = TEXT, 7, 8.6, 3
DETAIL_SIZE, DETAIL_LEADING, DETAIL_GAP = 6.5, 8, 1.5


@dataclass(frozen=True)
class Item:
    """One row's cell texts, and the detail lines printed under its figures."""

    cells: Sequence[str]
    details: Sequence[str] = field(default_factory=tuple)


def wrap_words(value: str, size: float, width: float) -> list[str]:
    """Greedy word wrap of `value` to `width` points in the text font (long words stay whole)."""
    lines: list[str] = []
    current = ""
    for word in value.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and stringWidth(candidate, TEXT, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


class ItemCell(Flowable):
    """The last cell of an item with details: its own text on top, then the detail lines from
    `offset` (negative: back to the second column's edge) across the row, below the tallest
    figure of the row."""

    def __init__(
        self, own: str, main_height: float, details: Sequence[str], offset: float, width: float
    ) -> None:
        super().__init__()
        self.own = own
        self.main_height = main_height
        self.offset = offset
        self.lines = [line for d in details for line in wrap_words(d, DETAIL_SIZE, width)]
        self.height = main_height + DETAIL_GAP + len(self.lines) * DETAIL_LEADING

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.height

    def draw(self) -> None:
        t = theme()
        canvas = self.canv
        canvas.setFillColor(t.ink)
        draw_string(canvas, 0, self.height - CELL_SIZE, self.own, TEXT, CELL_SIZE)
        canvas.setFillColor(t.muted)
        y = self.height - self.main_height - DETAIL_GAP - DETAIL_SIZE
        for line in self.lines:
            draw_string(canvas, self.offset, y, line, TEXT, DETAIL_SIZE)
            y -= DETAIL_LEADING


class FittedText(Flowable):
    """A figure too wide for its column, drawn on one line in a type small enough to fit: a
    number must never wrap (a Paragraph would split '52,990.234907' across lines)."""

    def __init__(self, value: str, *, right: bool) -> None:
        super().__init__()
        self.value, self.right = value, right

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width, self.height = available_width, CELL_LEADING
        return self.width, self.height

    def draw(self) -> None:
        natural = stringWidth(self.value, TEXT, CELL_SIZE)
        size = CELL_SIZE * min(1.0, self.width / natural) if natural else CELL_SIZE
        self.canv.setFillColor(theme().ink)
        x = self.width if self.right else 0
        draw_string(
            self.canv, x, CELL_LEADING - CELL_SIZE, self.value, TEXT, size, right=self.right
        )


class _Cells:
    """Builds cells: a plain string when the text font draws it on one line (much faster to lay
    out than a Paragraph), else a wrapping Paragraph (which also switches to fallback fonts)."""

    def __init__(self, widths: Sequence[float], numeric: frozenset[int]) -> None:
        self.inner = [w - 2 * CELL_PADDING for w in widths]
        self.numeric = numeric

    def __call__(self, value: str, column: int, style: Any) -> tuple[Any, float]:
        """The cell and the height of its content."""
        inner = self.inner[column]
        if is_plain(value) and stringWidth(value, CELL_FONT, CELL_SIZE) <= inner:
            return value, CELL_LEADING
        if column in self.numeric:
            return FittedText(value, right=True), CELL_LEADING
        paragraph = Paragraph(text(value), style)
        return paragraph, paragraph.wrap(inner, 1e6)[1]


def item_table(
    headings: Sequence[str],
    widths: Sequence[float],
    numeric: frozenset[int],
    items: Sequence[Item],
) -> Any:
    """Rows of `items` under `headings`, numeric columns right-aligned, alternate rows shaded."""
    t = theme()
    cell = _Cells(widths, numeric)
    offset = -sum(widths[1:-1])  # from the last cell's content edge back to the second cell's
    detail_width = sum(widths[1:]) - 2 * CELL_PADDING
    rows: list[list[Any]] = [
        [Paragraph(text(h), t.head_r if i in numeric else t.head) for i, h in enumerate(headings)]
    ]
    for item in items:
        built = [cell(v, i, t.right if i in numeric else t.small) for i, v in enumerate(item.cells)]
        row = [value for value, _ in built]
        if item.details:
            main_height = max(height for _, height in built)
            row[-1] = ItemCell(item.cells[-1], main_height, item.details, offset, detail_width)
        rows.append(row)
    table = grid(
        rows,
        list(widths),
        [
            ("BACKGROUND", (0, 0), (-1, 0), t.accent),
            ("FONT", (0, 1), (-1, -1), CELL_FONT, CELL_SIZE, CELL_LEADING),
            ("TEXTCOLOR", (0, 1), (-1, -1), t.ink),
            *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in sorted(numeric)],
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, t.zebra]),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, t.rule),
            ("BOX", (0, 0), (-1, -1), 0.5, t.accent),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
        repeat_rows=1,
    )
    return table
