"""Does the printed CFDI show what its XML says? Read the XML on its own (lxml, not the product's
parsed model), render the PDF with the product, extract the PDF's text (pypdfium2) and look for
every value a person would: names and RFCs, every concepto, every tax amount (traslado and
retención, per concepto and in the summary, local taxes too), the totals, each payment with its
related documents and balances, every related CFDI, and every datum of any other complement;
characters compared exactly, so one printed as a square or a code point is a failure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

NS_CFDI = "http://www.sat.gob.mx/cfd/4"
NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
NS_PAGOS = "http://www.sat.gob.mx/Pagos20"
NS_IMPLOCAL = "http://www.sat.gob.mx/implocal"
_C = f"{{{NS_CFDI}}}"
_SCHEMA_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
# Figures of the dedicated views: (element local name, attributes holding amounts).
_PAGOS_AMOUNTS = {
    "Totales": None,  # every attribute
    "Pago": ("Monto", "TipoCambioP"),
    "DoctoRelacionado": ("ImpSaldoAnt", "ImpPagado", "ImpSaldoInsoluto", "EquivalenciaDR"),
    "TrasladoDR": ("BaseDR", "ImporteDR"),
    "RetencionDR": ("BaseDR", "ImporteDR"),
    "TrasladoP": ("BaseP", "ImporteP"),
    "RetencionP": ("ImporteP",),
}
_PAGOS_TEXTS = {"DoctoRelacionado": ("IdDocumento", "Serie", "Folio"), "Pago": ("NumOperacion",)}
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
LOST = ("\ufffd", "■", "[U+")  # what a character the PDF could not print becomes
TEST_MARK = "SIN VALIDEZ FISCAL"


@dataclass(frozen=True)
class CfdiCheck:
    file: str
    complements: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Expected:
    texts: list[tuple[str, str]]  # (what, value)
    amounts: list[tuple[str, Decimal]]

    def text(self, what: str, value: str | None) -> None:
        if value and value.strip():
            self.texts.append((what, value))

    def amount(self, what: str, value: str | None) -> None:
        if value is None or not value.strip():
            return
        try:
            self.amounts.append((what, abs(Decimal(value))))
        except InvalidOperation:
            self.texts.append((what, value))


def _local(element: Any) -> str:
    from lxml import etree

    return str(etree.QName(element).localname)


def _concept_expectations(expected: _Expected, concepto: Any, n: int) -> None:
    label = f"concepto {n}"
    for name in ("ClaveProdServ", "NoIdentificacion", "Descripcion"):
        expected.text(f"{label} {name}", concepto.get(name))
    for name in ("Cantidad", "ValorUnitario", "Importe", "Descuento"):
        expected.amount(f"{label} {name}", concepto.get(name))
    for tax in concepto.iterfind(f"{_C}Impuestos/*/*"):
        kind = _local(tax)
        expected.amount(f"{label} {kind} Base", tax.get("Base"))
        expected.amount(f"{label} {kind} Importe", tax.get("Importe"))
    for node in concepto.iter(f"{_C}ACuentaTerceros", f"{_C}InformacionAduanera"):
        for name, value in node.attrib.items():
            expected.text(f"{label} {_local(node)} {name}", value)
    for node in concepto.iterfind(f"{_C}CuentaPredial"):
        expected.text(f"{label} CuentaPredial", node.get("Numero"))
    for node in concepto.iterfind(f"{_C}Parte"):
        expected.text(f"{label} Parte", node.get("Descripcion"))
        expected.amount(f"{label} Parte Importe", node.get("Importe"))
    for complement in concepto.iterfind(f"{_C}ComplementoConcepto/*"):
        _every_datum(expected, complement, f"{label} {_local(complement)}")


def _every_datum(expected: _Expected, complement: Any, label: str) -> None:
    """Every attribute value of every node, as text (the generic view prints them as written)."""
    expected.text(f"{label}: nombre", _local(complement))
    for node in complement.iter():
        if not isinstance(node.tag, str):
            continue
        for name, value in node.attrib.items():
            if name != _SCHEMA_LOCATION:
                expected.text(f"{label} {_local(node)}@{name}", value)


def _pagos_expectations(expected: _Expected, pagos: Any) -> None:
    for node in pagos.iter():
        if not isinstance(node.tag, str):
            continue
        name = _local(node)
        amounts = _PAGOS_AMOUNTS.get(name, ())
        for attribute in node.attrib if amounts is None else amounts:
            expected.amount(f"Pagos {name}@{attribute}", node.get(attribute))
        for attribute in _PAGOS_TEXTS.get(name, ()):
            expected.text(f"Pagos {name}@{attribute}", node.get(attribute))


def expectations(root: Any) -> tuple[_Expected, tuple[str, ...]]:
    """What the PDF of this CFDI must show, and the names of its complements."""
    expected = _Expected([], [])
    for party in ("Emisor", "Receptor"):
        node = root.find(f"{_C}{party}")
        if node is not None:
            expected.text(f"{party} Rfc", node.get("Rfc"))
            expected.text(f"{party} Nombre", node.get("Nombre"))
    for name in ("SubTotal", "Descuento", "Total", "TipoCambio"):
        expected.amount(f"Comprobante {name}", root.get(name))
    for n, concepto in enumerate(root.iterfind(f"{_C}Conceptos/{_C}Concepto"), start=1):
        _concept_expectations(expected, concepto, n)
    for tax in root.iterfind(f"{_C}Impuestos/*/*"):
        expected.amount(f"Impuestos {_local(tax)} Importe", tax.get("Importe"))
        expected.amount(f"Impuestos {_local(tax)} Base", tax.get("Base"))
    for related in root.iterfind(f"{_C}CfdiRelacionados/{_C}CfdiRelacionado"):
        expected.text("CfdiRelacionado UUID", related.get("UUID"))
    glob = root.find(f"{_C}InformacionGlobal")
    if glob is not None:
        expected.text("InformacionGlobal Año", glob.get("Año"))
    complements: list[str] = []
    for complement in root.iterfind(f"{_C}Complemento/*"):
        if not isinstance(complement.tag, str):
            continue
        namespace = complement.tag[1:].split("}", 1)[0]
        if namespace == NS_TFD:
            expected.text("TimbreFiscalDigital UUID", complement.get("UUID"))
            continue
        name = _local(complement)
        complements.append(name)
        if namespace == NS_PAGOS:
            _pagos_expectations(expected, complement)
        elif namespace == NS_IMPLOCAL:
            for local_tax in complement:
                expected.amount(f"implocal {_local(local_tax)} Importe", local_tax.get("Importe"))
        else:
            _every_datum(expected, complement, name)
    return expected, tuple(complements)


def _squeeze(value: str) -> str:
    return re.sub(r"\s+", "", value)


def numbers_in(text: str) -> set[Decimal]:
    """Every number the text shows ('$1,234.50' -> 1234.50), as values (1234.5 == 1234.50)."""
    found = set()
    for token in _NUMBER.findall(text):
        try:
            found.add(Decimal(token.rstrip(",").replace(",", "")))
        except InvalidOperation:
            continue
    return found


def pdf_pages_text(pdf: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def check_cfdi(path: Path) -> CfdiCheck:
    """Parse, render and compare one stamped CFDI; the problems a person would notice."""
    from lxml import etree

    from postventa.cfdi.parse import no_fiscal_validity_reason, parse_cfdi
    from postventa.cfdi.pdf import render_cfdi
    from postventa.errors import PostventaError

    data = path.read_bytes()
    try:
        root = etree.fromstring(
            data, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
        expected, complements = expectations(root)
        cfdi = parse_cfdi(data)
        pages = pdf_pages_text(render_cfdi(cfdi))
    except (PostventaError, etree.XMLSyntaxError) as exc:
        return CfdiCheck(path.name, (), (f"no se pudo leer o imprimir: {exc}",))
    whole = "\n".join(pages)
    squeezed, numbers = _squeeze(whole), numbers_in(whole)
    problems = [
        f"falta {what} «{value}»"
        for what, value in expected.texts
        if _squeeze(value) not in squeezed
    ]
    problems += [
        f"falta {what} {value}" for what, value in expected.amounts if value not in numbers
    ]
    problems += [f"carácter perdido: aparece «{mark}»" for mark in LOST if mark in whole]
    if no_fiscal_validity_reason(cfdi) and not all(TEST_MARK in page for page in pages):
        problems.append(f"timbre de prueba sin «{TEST_MARK}» en cada página")
    return CfdiCheck(path.name, complements, tuple(problems))
