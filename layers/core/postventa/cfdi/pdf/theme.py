"""Colors, page geometry, paragraph styles and the small building blocks every section uses.

Imports reportlab at module level: only the drawing modules import this one, and only from
inside `postventa.cfdi.pdf.render_cfdi`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from postventa.cfdi.pdf.fonts import BOLD, TEXT, markup, text_coverage

# Colors (hex) and geometry in points.
INK = "#1B2430"
ACCENT = "#1F3A5F"
MUTED = "#5B6675"
RULE = "#C9D1DB"
SHADE = "#EEF2F6"
ZEBRA = "#F7F9FB"
WARNING = "#B42318"  # the test-stamp mark

PAGE_W, PAGE_H = LETTER
MARGIN = 14 * mm
WIDTH = PAGE_W - 2 * MARGIN  # the frame's width: every section spans it
GAP = 4 * mm  # between the two halves of a side-by-side pair


@dataclass(frozen=True)
class Theme:
    """The paragraph styles and colors of one look; built once per process (`theme()`)."""

    ink: Any
    accent: Any
    muted: Any
    rule: Any
    shade: Any
    zebra: Any
    base: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    right: ParagraphStyle
    head: ParagraphStyle
    head_r: ParagraphStyle
    section: ParagraphStyle
    title: ParagraphStyle
    seal: ParagraphStyle
    total_label: ParagraphStyle
    total_value: ParagraphStyle
    detail: ParagraphStyle
    warning: ParagraphStyle


@cache
def theme() -> Theme:
    text_coverage()  # registers the fonts the styles name
    base = ParagraphStyle(
        "base", fontName=TEXT, fontSize=8, leading=10, textColor=colors.HexColor(INK)
    )
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=8.6)
    right = ParagraphStyle("right", parent=small, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=small, fontName=BOLD, textColor=colors.white, leading=8)
    accent = colors.HexColor(ACCENT)
    return Theme(
        ink=colors.HexColor(INK),
        accent=accent,
        muted=colors.HexColor(MUTED),
        rule=colors.HexColor(RULE),
        shade=colors.HexColor(SHADE),
        zebra=colors.HexColor(ZEBRA),
        base=base,
        small=small,
        label=ParagraphStyle(
            "label", parent=small, textColor=colors.HexColor(MUTED), fontName=TEXT
        ),
        right=right,
        head=head,
        head_r=ParagraphStyle("head_r", parent=head, alignment=TA_RIGHT),
        section=ParagraphStyle("section", parent=base, fontName=BOLD, fontSize=8, textColor=accent),
        title=ParagraphStyle(
            "title",
            parent=base,
            fontName=BOLD,
            fontSize=14,
            leading=17,
            textColor=accent,
        ),
        # Base64 sellos have no spaces: CJK wrapping breaks them at any character.
        seal=ParagraphStyle(
            "seal", parent=base, fontName=TEXT, fontSize=6, leading=7.2, wordWrap="CJK"
        ),
        total_label=ParagraphStyle("tl", parent=right),
        total_value=ParagraphStyle("tv", parent=right, fontSize=9, leading=11),
        detail=ParagraphStyle(
            "detail", parent=small, fontSize=6.5, leading=8, textColor=colors.HexColor(MUTED)
        ),
        warning=ParagraphStyle(
            "warning", parent=small, fontName=BOLD, textColor=colors.HexColor(WARNING)
        ),
    )


def text(value: object) -> str:
    """Paragraph markup for a literal value ('<', '&' and '>' printed as they are), every
    character in a font that has it."""
    return markup(value)


def para(value: object, style: ParagraphStyle | None = None) -> Any:
    return Paragraph(text(value), style or theme().small)


def field(name: str, value: object) -> Any:
    """'Name: value' with the name muted."""
    return Paragraph(f'<font color="{MUTED}">{text(name)}:</font> {text(value)}', theme().small)


def grid(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    commands: Sequence[tuple[Any, ...]],
    *,
    repeat_rows: int = 0,
) -> Any:
    """A reportlab Table styled by `commands`, its cells in the text font by default (reportlab's
    default, Helvetica, would be referenced by the PDF even where nothing is written in it)."""
    table = Table(rows, colWidths=list(widths), repeatRows=repeat_rows)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), TEXT, 7, 8.6), *commands]))
    return table


def box(heading: str, rows: Iterable[tuple[str, object]], width: float) -> Any:
    """A framed, headed list of 'name: value' lines; rows without a value are left out."""
    t = theme()
    cells = [[Paragraph(text(heading), t.section)]]
    cells += [[field(k, v)] for k, v in rows if v not in (None, "")]
    table = grid(
        cells,
        [width],
        [
            ("BOX", (0, 0), (-1, -1), 0.5, t.rule),
            ("BACKGROUND", (0, 0), (-1, 0), t.shade),
            ("TOPPADDING", (0, 0), (-1, -1), 1.6),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
        ],
    )
    return table


def side_by_side(left: Any, right: Any, left_width: float, right_width: float) -> Any:
    """Two flowables in one row, top-aligned, without outer padding."""
    pair = grid(
        [[left, right]],
        [left_width, right_width],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ],
    )
    return pair
