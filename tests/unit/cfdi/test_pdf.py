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
from postventa.cfdi.pdf import describe, money, qr_drawing, render_cfdi, render_pdf

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


def test_qr_drawing_holds_the_verification_url_at_least_275_cm() -> None:
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.lib.units import cm

    url = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id=X&re=A&rr=B&tt=1.00&fe=abc"
    drawing = qr_drawing(url, 3 * cm)
    widgets = [c for c in drawing.contents if isinstance(c, QrCodeWidget)]
    assert [w.value for w in widgets] == [url]
    assert drawing.width >= 2.75 * cm and drawing.height >= 2.75 * cm


def test_pdf_draws_the_qr_for_this_cfdis_verification_url() -> None:
    xml = (SAMPLES / "ingreso_usd.xml").read_bytes()
    cfdi = parse_cfdi(xml)
    calls: list[tuple[str, float]] = []

    def spy(url: str, side: float) -> Any:
        calls.append((url, side))
        return qr_drawing(url, side)

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
