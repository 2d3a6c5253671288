"""What a person looks for in the printed CFDI, rendered from our own samples
(tests/fixtures/cfdi/pdf, made by its _make.py): payments with their documents and balances, every
tax of every concepto, local taxes that add up to Total, related CFDI, other complements, every
character printed as itself, and the SIN VALIDEZ FISCAL mark on test stamps."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from postventa.cfdi.parse import Cfdi, Nodo, no_fiscal_validity_reason, parse_cfdi
from postventa.cfdi.pdf import money, render_cfdi, render_pdf
from postventa.cfdi.pdf.format import rate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cfdi"
OURS = FIXTURES / "pdf"
MARK = "SIN VALIDEZ FISCAL"


@cache
def parsed(name: str) -> Cfdi:
    return parse_cfdi((OURS / name).read_bytes())


def pages_of(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@cache
def pages(name: str) -> tuple[str, ...]:
    return tuple(pages_of(render_pdf((OURS / name).read_bytes())))


def text_of(name: str) -> str:
    """The whole document's text with runs of white space as one space."""
    return " ".join(" ".join(pages(name)).split())


def assert_shows(name: str, *snippets: str) -> None:
    shown = text_of(name)
    missing = [s for s in snippets if s not in shown]
    assert missing == [], f"{name} does not show {missing}"


# --- Pagos 2.0 -----------------------------------------------------------------------------


def test_payment_receipt_model_holds_every_payment_and_document() -> None:
    pagos = parsed("pago20_dos_pagos.xml").pagos
    assert pagos is not None
    assert pagos.monto_total_pagos == Decimal("27250.14")
    assert [p.monto for p in pagos.pagos] == [Decimal("17400.00"), Decimal("580.00")]
    second_invoice = pagos.pagos[0].documentos[1]
    assert (second_invoice.num_parcialidad, second_invoice.imp_saldo_insoluto) == (
        "2",
        Decimal("17400.00"),
    )
    assert [t.impuesto for t in second_invoice.retenciones] == ["002"]
    assert pagos.pagos[1].tipo_cambio == Decimal("16.9830")


def test_payment_receipt_shows_each_payment_with_its_bank_data() -> None:
    assert_shows(
        "pago20_dos_pagos.xml",
        "RECIBO DE PAGO",
        "Complemento para recepción de pagos 2.0",
        "Pago 1 de 2",
        "Fecha de pago: 09/05/2024 17:45:00",
        "Forma de pago: 03 - Transferencia electrónica de fondos",
        "Monto: $17,400.00",
        "Número de operación: SPEI-0049281734",
        "RFC del banco ordenante: BSM970519DU8",
        "Cuenta ordenante: 012180001234567897",
        "Cuenta beneficiaria: 002180009876543210",
        "Pago 2 de 2",
        "Moneda: USD - Dólar americano",
        "Tipo de cambio: 16.9830",
        "Monto: $580.00",
        "Número de operación: AUT-778812",
    )


def test_payment_receipt_shows_each_document_with_parcialidad_balances_and_taxes() -> None:
    # UUID, serie-folio, moneda, equivalencia, parcialidad, saldo anterior, pagado, insoluto, objeto
    assert_shows(
        "pago20_dos_pagos.xml",
        "5A7E0000-0000-4000-8000-000000000101 A-1001 MXN 1 1 $11,600.00 $11,600.00 $0.00 02",
        "5A7E0000-0000-4000-8000-000000000102 A-1002 MXN 1 2 $23,200.00 $5,800.00 $17,400.00 02",
        "5A7E0000-0000-4000-8000-000000000103 USD-77 USD 1 1 $580.00 $580.00 $0.00 02",
        "Traslado IVA 16%: base $5,000.00, importe $800.00",
        "Retención IVA 10.6667%: base $5,000.00, importe $533.34",
        "Impuestos del pago: Traslado IVA 16%: base $15,000.00, importe $2,400.00",
        "Retención IVA: importe $1,600.01",
    )


def test_payment_receipt_shows_the_totales_and_the_total_paid_in_words() -> None:
    assert_shows(
        "pago20_dos_pagos.xml",
        "Totales de los pagos (MXN)",
        "Monto total de los pagos: $27,250.14",
        "Total retenciones IVA: $1,600.01",
        "Total base IVA 16%: $23,491.50",
        "Total IVA 16%: $3,758.64",
        "VEINTISIETE MIL DOSCIENTOS CINCUENTA PESOS 14/100 M.N.",
    )


# --- taxes, local taxes and totals ---------------------------------------------------------


def test_every_concepto_shows_each_traslado_and_retencion_with_base_and_importe() -> None:
    assert_shows(
        "ingreso_implocal.xml",
        "Traslado IVA 16%: base $4,500.00, importe $720.00",
        "Retención ISR 10%: base $4,500.00, importe $450.00",
    )
    assert_shows(
        "ingreso_otros_complementos.xml",
        "Traslado IVA 16%: base $10,000.00, importe $1,600.00",
        "Retención IVA 10.6667%: base $10,000.00, importe $1,066.67",
        "Traslado IVA 16%: base $4,000.00, importe $640.00",
    )


def test_local_taxes_print_among_the_totals() -> None:
    assert_shows(
        "ingreso_implocal.xml",
        "ISH 3% (traslado local) $135.00",
        "Cinco al millar 0.5% (retención local) -$22.50",
        "Total MXN $4,882.50",
    )


def _amount(figure: str) -> Decimal:
    return Decimal(figure.replace("$", "").replace(",", "")) if figure != "—" else Decimal(0)


@pytest.mark.parametrize("name", sorted(p.name for p in OURS.glob("*.xml")))
def test_printed_figures_add_up_to_the_total(name: str) -> None:
    from postventa.cfdi.pdf.totals import figure_rows

    cfdi = parsed(name)
    rows = figure_rows(cfdi)
    assert sum(_amount(amount) for _, amount in rows) == cfdi.total
    shown = text_of(name)
    for label, amount in rows:
        assert f"{label} {amount}" in shown


# --- related CFDI and InformacionGlobal ----------------------------------------------------


def test_related_cfdi_show_each_relation_with_its_description_and_every_uuid() -> None:
    assert_shows(
        "global_sustituye_relacionados.xml",
        "tipo de relación: 04 - Sustitución de los CFDI previos",
        "Folio fiscal (UUID) relacionado: 5A7E0000-0000-4000-8000-000000000201",
        "Folio fiscal (UUID) relacionado: 5A7E0000-0000-4000-8000-000000000202",
        "tipo de relación: 07 - CFDI por aplicación de anticipo",
        "Folio fiscal (UUID) relacionado: 5A7E0000-0000-4000-8000-000000000203",
        "Periodicidad: 04 - Mensual · Meses: 04 - Abril · Año: 2024",
    )


# --- other complements and concept-level data ----------------------------------------------


def test_other_complements_print_their_name_and_data() -> None:
    assert_shows(
        "ingreso_otros_complementos.xml",
        "Leyendas fiscales 1.0",
        "textoLeyenda: Arrendamiento por cuenta de tercero: leyenda de prueba.",
        "Complemento INE 1.1",
        "TipoProceso: Ordinario · TipoComite: Ejecutivo Nacional",
        # a namespace no catalog knows is named with its namespace, and its data still print
        "Complemento DatosExtra (urn:postventa:pruebas:complemento-desconocido) 0.1",
        "Clave: COLOR · Valor: Azul marino",
    )


def test_concepto_level_third_party_customs_and_property_data_print() -> None:
    assert_shows(
        "ingreso_otros_complementos.xml",
        "A cuenta de terceros: ADRIANA JUAREZ FERNANDEZ, RFC JUFA7608212V6, régimen 606",
        "domicilio fiscal (C.P.) 29133",
        "Cuenta predial: 0123456789",
        "Pedimento: 24 47 3807 4001234",
    )


def test_a_huge_complement_says_how_many_nodes_it_leaves_out() -> None:
    from postventa.cfdi.pdf.complements import MAX_NODES

    ns = "http://www.sat.gob.mx/CartaPorte31"
    mercancias = tuple(
        Nodo(ns, "Mercancia", (("Descripcion", f"Caja {n}"), ("PesoEnKg", "1.5")))
        for n in range(MAX_NODES + 25)
    )
    carta = Nodo(ns, "CartaPorte", (("Version", "3.1"), ("IdCCP", "CCC-1")), mercancias)
    cfdi = replace(parsed("ingreso_implocal.xml"), complementos=(carta,))
    shown = " ".join(" ".join(pages_of(render_cfdi(cfdi))).split())
    assert "Complemento Carta Porte 3.1" in shown
    assert f"Descripcion: Caja {MAX_NODES - 2}" in shown  # the root takes one of the rows
    assert f"Descripcion: Caja {MAX_NODES - 1}" not in shown
    assert "… y 26 nodos más de este complemento" in shown


# --- characters ----------------------------------------------------------------------------


def test_characters_outside_latin1_print_as_themselves() -> None:
    cfdi = parsed("ingreso_texto_no_latin1.xml")
    shown = text_of("ingreso_texto_no_latin1.xml")
    assert cfdi.receptor.nombre in shown  # 株式会社 山田商事 (Yamada Shōji)
    for c in cfdi.conceptos:
        assert " ".join(c.descripcion.split()) in shown, c.descripcion
    assert "TAZA-測試" in shown
    assert cfdi.emisor.nombre in shown  # Ñ and &
    assert "■" not in shown and "[U+" not in shown


def test_fonts_are_embedded_and_fallbacks_only_when_needed() -> None:
    from pypdf import PdfReader

    def fonts(xml: bytes) -> set[str]:
        reader = PdfReader(io.BytesIO(render_pdf(xml)))
        names = set()
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                assert "/FontFile2" in font["/FontDescriptor"]  # the TrueType program, embedded
                names.add(str(font["/BaseFont"]))
        return names

    latin = fonts((OURS / "ingreso_implocal.xml").read_bytes())
    assert any("DejaVuSansCondensed" in n for n in latin)
    assert not any("Droid" in n or "Noto" in n for n in latin)
    wide = fonts((OURS / "ingreso_texto_no_latin1.xml").read_bytes())
    assert any("DroidSansFallback" in n for n in wide)
    assert any("NotoSansSymbols2" in n for n in wide)


def test_a_character_no_bundled_font_has_prints_as_its_code_point() -> None:
    xml = (OURS / "ingreso_implocal.xml").read_bytes()
    xml = xml.replace("Hospedaje habitación doble".encode(), "Hospedaje 😀 doble".encode())
    shown = " ".join(" ".join(pages_of(render_pdf(xml))).split())
    assert "Hospedaje [U+1F600] doble" in shown


def test_font_runs_switch_only_where_the_text_font_lacks_a_glyph() -> None:
    from postventa.cfdi.pdf.fonts import markup, runs

    assert list(runs("Ñandú & €5")) == [(None, "Ñandú & €5")]
    assert list(runs("Taza 陶瓷 ⏻")) == [
        (None, "Taza "),
        ("PostventaCJK", "陶瓷"),
        (None, " "),
        ("PostventaSymbols", "⏻"),
    ]
    assert markup("a<b & 陶") == 'a&lt;b &amp; <font name="PostventaCJK">陶</font>'


# --- test stamps ---------------------------------------------------------------------------


def test_every_page_of_a_test_stamp_says_sin_validez_fiscal() -> None:
    texts = pages_of(render_pdf((FIXTURES / "global_120_conceptos.xml").read_bytes()))
    assert len(texts) > 1
    assert all(MARK in t for t in texts)


def test_a_production_stamp_has_no_mark_unless_asked() -> None:
    cfdi = parsed("ingreso_implocal.xml")
    production = replace(
        cfdi,
        no_certificado="00001000000504465028",
        timbre=replace(cfdi.timbre, no_certificado_sat="00001000000708361114", leyenda=None),
    )
    assert no_fiscal_validity_reason(production) is None
    assert all(MARK not in t for t in pages_of(render_cfdi(production)))
    forced = pages_of(render_cfdi(production, sin_validez=True))
    assert all(MARK in t for t in forced)


@pytest.mark.parametrize(
    ("no_certificado", "no_certificado_sat", "leyenda", "reason"),
    [
        ("00001000000504465028", "30001000000500003456", None, "30001000000500003456"),
        ("00001000000504465028", "20001000000300022323", None, "20001000000300022323"),
        ("30001000000400002434", "00001000000708361114", None, "CSD de pruebas"),
        ("00001000000504465028", "00001000000708361114", "Algo: sin validez fiscal", "sin validez"),
    ],
)
def test_test_stamps_are_recognised_by_certificate_range_or_leyenda(
    no_certificado: str, no_certificado_sat: str, leyenda: str | None, reason: str
) -> None:
    cfdi = parsed("ingreso_implocal.xml")
    cfdi = replace(
        cfdi,
        no_certificado=no_certificado,
        timbre=replace(cfdi.timbre, no_certificado_sat=no_certificado_sat, leyenda=leyenda),
    )
    assert reason in (no_fiscal_validity_reason(cfdi) or "")


def test_an_invoice_stamped_by_our_sandbox_pac_is_marked_sin_validez() -> None:
    from datetime import UTC, datetime, timedelta

    from postventa.cfdi import certs
    from postventa.cfdi.build import PlainReceptor
    from postventa.cfdi.issuer import Issuer, ProductKeys
    from postventa.cfdi.pac.sandbox import SandboxPac
    from postventa.cfdi.stamping import stamp_order
    from postventa.domain.orders import Order

    now = datetime.now(tz=UTC).replace(microsecond=0)
    csd = certs.generate_test_csd("CNA180523AB7", "COMERCIALIZADORA ÑANDÚ & ASOCIADOS")
    issuer = Issuer(
        rfc=csd.rfc,
        nombre="COMERCIALIZADORA ÑANDÚ & ASOCIADOS",
        regimen_fiscal="601",
        lugar_expedicion="42501",
        products={"T": ProductKeys(clave_prod_serv="52151704", clave_unidad="H87")},
    )
    order = Order(
        tenant_id="t1",
        channel="shopify",
        order_id="9",
        paid_at=now,
        lines=[
            {"sku": "T", "description": "Taza «Ñandú» 陶瓷", "quantity": 1, "unit_price": "116"}
        ],
        total_paid=Decimal("116.00"),
        payment_method="credit_card",
    )
    receptor = PlainReceptor("URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "601", "65000", "G03")
    stamped = stamp_order(
        order, issuer, receptor, csd.credentials(), SandboxPac(), 1, now - timedelta(minutes=1)
    )
    texts = pages_of(render_pdf(stamped.xml))
    assert all(MARK in t for t in texts)
    assert "Taza «Ñandú» 陶瓷" in " ".join(texts)


# --- layout --------------------------------------------------------------------------------


def test_each_concepto_stays_on_one_page_with_its_tax_line() -> None:
    cfdi = parse_cfdi((FIXTURES / "global_120_conceptos.xml").read_bytes())
    texts = pages_of(render_pdf((FIXTURES / "global_120_conceptos.xml").read_bytes()))
    for c in cfdi.conceptos:
        (tax,) = c.traslados
        page = next(t for t in texts if c.no_identificacion and c.no_identificacion in t)
        flat = " ".join(page.split())
        after = flat.split(c.no_identificacion, 1)[1]
        assert after.split("Traslado", 2)[1].startswith(
            f" IVA {rate(tax.tasa_o_cuota)}: base {money(tax.base)}, importe {money(tax.importe)}"
        ), after[:200]


def test_first_page_renders_as_png_without_blank_or_black_pages(tmp_path: Path) -> None:
    import shutil
    import subprocess

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.fail("pdftoppm (poppler-utils) is needed to rasterise the PDF")
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(render_pdf((OURS / "pago20_dos_pagos.xml").read_bytes()))
    subprocess.run([pdftoppm, "-png", "-r", "40", str(pdf), str(tmp_path / "p")], check=True)
    from PIL import Image

    for png in sorted(tmp_path.glob("p-*.png")):
        grey = Image.open(png).convert("L")
        histogram = grey.histogram()
        dark = sum(histogram[:128]) / (grey.size[0] * grey.size[1])
        assert 0.005 < dark < 0.5, f"{png.name}: {dark:.3f} dark"
