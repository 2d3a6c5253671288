"""The fonts the PDF embeds, and text that switches to a fallback font where the text font lacks a
character, so that every character of a CFDI prints as itself.

The text font is DejaVu Sans Condensed (Latin, Greek, Cyrillic, most symbols: €, Ñ, –, “ ”, …);
the fallbacks, read from disk only when a document needs them, are Noto Sans Symbols 2 (⏻ and
other symbols) and Droid Sans Fallback (Chinese, Japanese, Korean). A character no bundled font
has prints as its code point, "[U+1F600]", so nothing is lost silently. So does any character
beyond the Basic Multilingual Plane (emoji...): reportlab writes their ToUnicode entries in a form
PDF readers cannot map back (`<1F600>` instead of a UTF-16 surrogate pair), so the glyph would
show but the PDF's text would lose it. Licenses and sources: fonts/README.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FONT_DIR = Path(__file__).with_name("fonts")
TEXT = "PostventaSans"
BOLD = "PostventaSans-Bold"
_TEXT_FILES = {TEXT: "DejaVuSansCondensed.ttf", BOLD: "DejaVuSansCondensed-Bold.ttf"}
# Tried in order for a character the text font lacks.
FALLBACKS = (
    ("PostventaSymbols", "NotoSansSymbols2-Regular.ttf"),
    ("PostventaCJK", "DroidSansFallback.ttf"),
)


@cache
def _register(name: str, file: str) -> frozenset[int]:
    """Register one TrueType font with reportlab (once per process); its character coverage."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = TTFont(name, str(FONT_DIR / file))
    pdfmetrics.registerFont(font)
    return frozenset(font.face.charToGlyph)


@cache
def text_coverage() -> frozenset[int]:
    """Registers the text font family (<b> in a Paragraph picks the bold face); the code points
    both faces draw."""
    from reportlab.pdfbase.pdfmetrics import registerFontFamily

    regular, bold = (_register(name, file) for name, file in _TEXT_FILES.items())
    registerFontFamily(TEXT, normal=TEXT, bold=BOLD, italic=TEXT, boldItalic=BOLD)
    return regular & bold


BMP_LAST = 0xFFFF


def _fallback_for(code: int) -> str | None:
    if code > BMP_LAST:
        return None
    for name, file in FALLBACKS:
        if code in _register(name, file):
            return name
    return None


def _drawable(char: str, covered: frozenset[int]) -> bool:
    code = ord(char)
    return (code in covered and code <= BMP_LAST) or char.isspace()


def is_plain(value: str) -> bool:
    """True when the text font alone prints every character of `value` as itself."""
    if value.isascii():
        return True
    covered = text_coverage()
    return all(_drawable(ch, covered) for ch in value)


def runs(value: str) -> Iterator[tuple[str | None, str]]:
    """(fallback font name, or None for the text font; text) runs covering `value` in order.
    A character no bundled font has becomes '[U+XXXX]' in the text font."""
    covered = text_coverage()
    font: str | None = None
    chunk: list[str] = []
    for char in value:
        if _drawable(char, covered):
            wanted, piece = None, char
        else:
            wanted = _fallback_for(ord(char))
            piece = char if wanted else f"[U+{ord(char):04X}]"
        if wanted != font and chunk:
            yield font, "".join(chunk)
            chunk = []
        font = wanted
        chunk.append(piece)
    if chunk:
        yield font, "".join(chunk)


def markup(value: object) -> str:
    """Paragraph markup that prints `value` literally ('<', '&' as they are) with every
    character in a font that has it."""
    if value is None:
        return ""
    string = str(value)
    if is_plain(string):
        return escape(string)
    return "".join(
        escape(chunk) if font is None else f'<font name="{font}">{escape(chunk)}</font>'
        for font, chunk in runs(string)
    )


def draw_string(
    canvas: Any, x: float, y: float, value: str, font: str, size: float, *, right: bool = False
) -> None:
    """canvas.drawString (or drawRightString when `right`) with the same fallbacks as markup."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pieces = [(fallback or font, chunk) for fallback, chunk in runs(value)]
    if right:
        x -= sum(stringWidth(chunk, name, size) for name, chunk in pieces)
    for name, chunk in pieces:
        canvas.setFont(name, size)
        canvas.drawString(x, y, chunk)
        x += stringWidth(chunk, name, size)
