"""Assembles the printed CFDI from its sections and lays it out on Letter pages."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate

from postventa.cfdi.parse import Cfdi
from postventa.cfdi.pdf.complements import other_complements, pagos_section
from postventa.cfdi.pdf.conceptos import conceptos_table
from postventa.cfdi.pdf.fonts import TEXT
from postventa.cfdi.pdf.header import additional_information, document_title, header, parties
from postventa.cfdi.pdf.stamp import LEGEND, QrFactory, numbered_canvas, timbre
from postventa.cfdi.pdf.theme import MARGIN
from postventa.cfdi.pdf.totals import totals


def story(cfdi: Cfdi, qr_factory: QrFactory) -> list[Any]:
    """Every flowable of the document, top to bottom. A payment receipt's payments come before
    its (zero) totals: they are what it is about."""
    return [
        *header(cfdi),
        *parties(cfdi),
        *additional_information(cfdi),
        *conceptos_table(cfdi.conceptos),
        *(pagos_section(cfdi.pagos) if cfdi.pagos is not None else []),
        *totals(cfdi),
        *other_complements(cfdi.complementos),
        *timbre(cfdi, qr_factory),
    ]


def render(cfdi: Cfdi, qr_factory: QrFactory, test_mark: str | None) -> bytes:
    """The PDF; `test_mark` (why the stamp has no fiscal validity) marks every page."""
    title = document_title(cfdi)
    emisor, uuid = cfdi.emisor, cfdi.timbre.uuid
    running_head = f"{title} {cfdi.serie_folio}".strip() + f" · {emisor.rfc} · {uuid}"
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=13 * mm,
        bottomMargin=15 * mm,
        title=f"{title} {cfdi.serie_folio} {uuid}".replace("  ", " "),
        author=emisor.nombre or emisor.rfc,
        subject=LEGEND,
        creator="Postventa",
        invariant=True,
        initialFontName=TEXT,  # else every page selects Helvetica, which the PDF then references
    )
    doc.build(
        story(cfdi, qr_factory),
        canvasmaker=numbered_canvas(emisor.nombre or emisor.rfc, running_head, test_mark),
    )
    return buffer.getvalue()
