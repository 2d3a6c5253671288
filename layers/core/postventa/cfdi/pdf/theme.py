"""Colors, page geometry, paragraph styles and the small building blocks every section uses.

Imports reportlab at module level: only the drawing modules import this one, and only from
inside `postventa.cfdi.pdf.render_cfdi`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

# Colors (hex) and geometry in points.
INK = "#1B2430"
ACCENT = "#1F3A5F"
MUTED = "#5B6675"
RULE = "#C9D1DB"
SHADE = "#EEF2F6"
ZEBRA = "#F7F9FB"

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


@cache
def theme() -> Theme:
    base = ParagraphStyle(
        "base", fontName="Helvetica", fontSize=8, leading=10, textColor=colors.HexColor(INK)
    )
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=8.6)
    right = ParagraphStyle("right", parent=small, alignment=TA_RIGHT)
    head = ParagraphStyle(
        "head", parent=small, fontName="Helvetica-Bold", textColor=colors.white, leading=8
    )
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
            "label", parent=small, textColor=colors.HexColor(MUTED), fontName="Helvetica"
        ),
        right=right,
        head=head,
        head_r=ParagraphStyle("head_r", parent=head, alignment=TA_RIGHT),
        section=ParagraphStyle(
            "section", parent=base, fontName="Helvetica-Bold", fontSize=8, textColor=accent
        ),
        title=ParagraphStyle(
            "title",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=14,
            leading=17,
            textColor=accent,
        ),
        # Base64 sellos have no spaces: CJK wrapping breaks them at any character.
        seal=ParagraphStyle(
            "seal", parent=base, fontName="Courier", fontSize=6, leading=7.2, wordWrap="CJK"
        ),
        total_label=ParagraphStyle("tl", parent=right),
        total_value=ParagraphStyle("tv", parent=right, fontSize=9, leading=11),
    )


def text(value: object) -> str:
    """Paragraph markup for a literal value ('<', '&' and '>' printed as they are)."""
    return escape(str(value)) if value is not None else ""


def para(value: object, style: ParagraphStyle | None = None) -> Any:
    return Paragraph(text(value), style or theme().small)


def field(name: str, value: object) -> Any:
    """'Name: value' with the name muted."""
    return Paragraph(f'<font color="{MUTED}">{text(name)}:</font> {text(value)}', theme().small)


def box(heading: str, rows: Iterable[tuple[str, object]], width: float) -> Any:
    """A framed, headed list of 'name: value' lines; rows without a value are left out."""
    t = theme()
    cells = [[Paragraph(text(heading), t.section)]]
    cells += [[field(k, v)] for k, v in rows if v not in (None, "")]
    table = Table(cells, colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, t.rule),
                ("BACKGROUND", (0, 0), (-1, 0), t.shade),
                ("TOPPADDING", (0, 0), (-1, -1), 1.6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
            ]
        )
    )
    return table


def side_by_side(left: Any, right: Any, left_width: float, right_width: float) -> Any:
    """Two flowables in one row, top-aligned, without outer padding."""
    pair = Table([[left, right]], colWidths=[left_width, right_width])
    pair.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return pair
