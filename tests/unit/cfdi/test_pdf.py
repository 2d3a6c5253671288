"""The printed CFDI: every sample renders to a readable PDF with the data a person checks."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from postventa.cfdi.parse import parse_cfdi
from postventa.cfdi.pdf import describe, money, qr_flowable, render_cfdi, render_pdf

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "cfdi"
LETTER_POINTS = (612, 792)


@dataclass(frozen=True)
class Expected:
    total: str
    words: str
    receptor_rfc: str
    extra: tuple[str, ...] = ()


EXPECTED = {
    "ingreso_3_conceptos.xml": Expected(
        total="$10,250.00",
        words="DIEZ MIL DOSCIENTOS CINCUENTA PESOS 00/100 M.N.",
        receptor_rfc="URE180429TM6",
        extra=(
            "FACTURA",
            "A-1024",
            "601 - General de Ley Personas Morales",
            "G03 - Gastos en general",
            "04 - Tarjeta de crédito",
            "PUE - Pago en una sola exhibición",
            "Envío a domicilio",
            "$431.03",  # the discount
            "IVA 16%",
            "$1,413.79",
        ),
    ),
    "ingreso_usd.xml": Expected(
        total="$1,236.96",
        words="MIL DOSCIENTOS TREINTA Y SEIS DÓLARES 96/100 USD",
        receptor_rfc="URE180429TM6",
        extra=("USD - Dólar americano", "17.2534", "IVA retenido 4%", "-$4.82"),
    ),
    "egreso_nota_credito.xml": Expected(
        total="$300.00",
        words="TRESCIENTOS PESOS 00/100 M.N.",
        receptor_rfc="URE180429TM6",
        extra=(
            "NOTA DE CRÉDITO",
            "E - Egreso",
            "G02 - Devoluciones, descuentos o bonificaciones",
            "01 - Nota de crédito de los documentos relacionados",
            "5A7E0000-0000-4000-8000-000000000001",  # the related invoice
        ),
    ),
    "global_120_conceptos.xml": Expected(
        total="$114,611.40",
        words="CIENTO CATORCE MIL SEISCIENTOS ONCE PESOS 40/100 M.N.",
        receptor_rfc="XAXX010101000",
        extra=("01 - Diario", "05 - Mayo", "Año: 2024", "616 - Sin obligaciones fiscales"),
    ),
}


@cache
def rendered(name: str) -> bytes:
    return render_pdf((SAMPLES / name).read_bytes())


@cache
def page_texts(name: str) -> tuple[str, ...]:
    from pypdf import PdfReader

    return tuple(page.extract_text() for page in PdfReader(io.BytesIO(rendered(name))).pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_first_page_renders_as_a_non_blank_letter_page(name: str) -> None:
    import pypdfium2 as pdfium

    pdf = rendered(name)
    assert pdf.startswith(b"%PDF-")
    page = pdfium.PdfDocument(pdf)[0]
    assert tuple(round(v) for v in page.get_size()) == LETTER_POINTS
    image = page.render(scale=1).to_pil().convert("L")
    assert image.size == LETTER_POINTS
    histogram = image.histogram()
    dark = sum(histogram[:128])
    share = dark / (image.size[0] * image.size[1])
    assert 0.02 < share < 0.5, f"{share:.3f} of the page is dark"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_text_holds_uuid_total_receptor_and_amount_in_words(name: str) -> None:
    expected = EXPECTED[name]
    cfdi = parse_cfdi((SAMPLES / name).read_bytes())
    text = "\n".join(page_texts(name))
    assert cfdi.timbre.uuid in text
    assert expected.total in text
    assert expected.receptor_rfc in text
    assert expected.words in text
    assert "Este documento es una representación impresa de un CFDI" in text
    for snippet in expected.extra:
        assert snippet in text, snippet


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sellos_and_original_string_are_printed_whole(name: str) -> None:
    cfdi = parse_cfdi((SAMPLES / name).read_bytes())
    flat = squeeze("".join(page_texts(name)))
    assert cfdi.sello in flat
    assert cfdi.timbre.sello_sat in flat
    assert cfdi.timbre.original_string in flat
    assert cfdi.no_certificado in flat
    assert cfdi.timbre.no_certificado_sat in flat
    assert cfdi.timbre.rfc_prov_certif in flat


def test_global_invoice_spans_pages_with_numbering_and_every_concept() -> None:
    name = "global_120_conceptos.xml"
    pages = page_texts(name)
    total = len(pages)
    assert total >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {total}" in text
    # The conceptos header is repeated on the continuation page.
    assert "Descripción" in pages[1] and "Valor unitario" in pages[1]
    cfdi = parse_cfdi((SAMPLES / name).read_bytes())
    everything = "\n".join(pages)
    missing = [c.no_identificacion for c in cfdi.conceptos if c.no_identificacion not in everything]
    assert missing == []
    assert len(cfdi.conceptos) == 120


def test_one_page_invoice_says_pagina_1_de_1() -> None:
    pages = page_texts("ingreso_3_conceptos.xml")
    assert len(pages) == 1
    assert "Página 1 de 1" in pages[0]


def test_qr_holds_the_verification_url_in_a_square_of_at_least_275_cm() -> None:
    from reportlab.lib.units import cm

    url = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id=X&re=A&rr=B&tt=1&fe=a"
    qr = qr_flowable(url, 3 * cm)
    assert qr.widget.value == url
    assert qr.wrap(500, 500) == (3 * cm, 3 * cm)
    assert 3 * cm >= 2.75 * cm


SCALE = 4


def _raster(draw: Any, side: float) -> Any:
    """Render `draw(canvas)` on a side x side page; a grey PIL image at SCALE pixels per point."""
    import pypdfium2 as pdfium
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(side, side))
    draw(canvas)
    canvas.save()
    return pdfium.PdfDocument(buffer.getvalue())[0].render(scale=SCALE).to_pil().convert("L")


def _modules(image: Any, count: int, border: int, side: float) -> list[list[bool]]:
    """Read the QR grid back from pixels: dark at each module's centre."""
    box = side * SCALE / (count + 2 * border)
    return [
        [
            image.getpixel((int((c + border + 0.5) * box), int((r + border + 0.5) * box))) < 128
            for c in range(count)
        ]
        for r in range(count)
    ]


def test_fast_qr_paints_exactly_the_modules_of_reportlabs_own_qr_drawing() -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    url = parse_cfdi((SAMPLES / "ingreso_3_conceptos.xml").read_bytes()).verification_url
    side = 85.0
    ours = qr_flowable(url, side)

    def reference(canvas: Any) -> None:
        widget = QrCodeWidget(url, barLevel="M", barBorder=1, barWidth=side, barHeight=side)
        drawing = Drawing(side, side)
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, 0, 0)

    got_image = _raster(lambda canvas: ours.drawOn(canvas, 0, 0), side)
    qr = ours.widget.qr
    count = qr.getModuleCount()
    expected = _modules(_raster(reference, side), count, 1, side)
    got = _modules(got_image, count, 1, side)
    assert got == expected
    assert got == [[bool(m) for m in row] for row in qr.modules]
    assert 0.3 < sum(map(sum, got)) / count**2 < 0.7  # a real code, not an empty square


def test_pdf_draws_the_qr_for_this_cfdis_verification_url() -> None:
    xml = (SAMPLES / "ingreso_usd.xml").read_bytes()
    cfdi = parse_cfdi(xml)
    calls: list[tuple[str, float]] = []

    def spy(url: str, side: float) -> Any:
        calls.append((url, side))
        return qr_flowable(url, side)

    render_cfdi(cfdi, qr_factory=spy)
    assert calls == [(cfdi.verification_url, calls[0][1])]
    assert calls[0][0] == (
        "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
        f"?id={cfdi.timbre.uuid}&re=EKU9003173C9&rr=URE180429TM6&tt=1236.96&fe={cfdi.sello[-8:]}"
    )


def test_text_with_markup_characters_is_printed_literally() -> None:
    xml = (SAMPLES / "ingreso_3_conceptos.xml").read_bytes()
    tricky = "Cable USB-C &lt;1 m&gt; &amp; adaptador «Ñandú»"
    xml = xml.replace(b"Env\xc3\xado a domicilio", tricky.encode())
    text = "\n".join(
        p.extract_text() for p in __import__("pypdf").PdfReader(io.BytesIO(render_pdf(xml))).pages
    )
    assert "Cable USB-C <1 m> & adaptador «Ñandú»" in " ".join(text.split())


def test_unknown_catalog_keys_print_the_key_alone() -> None:
    assert describe("RegimenFiscal", "601") == "601 - General de Ley Personas Morales"
    assert describe("RegimenFiscal", "999") == "999"
    assert describe("UsoCFDI", None) == ""


def test_money_formats_thousands_and_keeps_extra_decimals() -> None:
    from decimal import Decimal

    assert money(Decimal("1234.5")) == "$1,234.50"
    assert money(Decimal("0.123456")) == "$0.123456"
    assert money(Decimal("1000000")) == "$1,000,000.00"


def test_importing_the_module_does_not_import_reportlab() -> None:
    code = (
        "import sys, postventa.cfdi.pdf, postventa.cfdi.parse, postventa.cfdi.words;"
        "assert 'reportlab' not in sys.modules and 'lxml' not in sys.modules"
        " and 'satcfdi' not in sys.modules, sorted(m for m in sys.modules if 'lab' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
