"""The CFDI's printed representation ("representación impresa"): a readable Spanish PDF.

render_pdf(xml) takes ANY stamped CFDI 4.0 (Ingreso, Egreso, Traslado, Nómina, Pago, global
invoice with thousands of conceptos) and returns PDF bytes drawn with reportlab (pure Python, no
system libraries): emisor/receptor, comprobante data with catalog descriptions, related CFDI, the
conceptos table (every tax of every concepto; header repeated on every page), totals that add up
(local taxes included) in figures and in words, Pagos 2.0 (each payment, its documents and
balances), every other complement's data, the TimbreFiscalDigital (sellos, cadena original del
complemento de certificación) and SAT's verification QR. Footer on every page: "Página X de N";
a test stamp says SIN VALIDEZ FISCAL on every page. Embedded fonts print every character
(fonts/README.md). Decisions: docs/decisions/0009-pdf-and-conformance.md.

One module per part of the page: `header`, `conceptos`, `totals`, `complements`, `stamp`;
`document` puts them together. Those modules import reportlab; this one does not, so importing
`postventa.cfdi.pdf` costs nothing until a PDF is drawn.
"""

from __future__ import annotations

from typing import Any

from postventa.cfdi.parse import Cfdi, no_fiscal_validity_reason, parse_cfdi
from postventa.cfdi.pdf.catalogs import CATALOGS, describe
from postventa.cfdi.pdf.format import money

__all__ = ["CATALOGS", "describe", "money", "qr_flowable", "render_cfdi", "render_pdf"]


def qr_flowable(url: str, side: float) -> Any:
    """A square flowable of `side` points holding SAT's verification QR for `url`."""
    from postventa.cfdi.pdf.stamp import QrFlowable

    return QrFlowable(url, side)


FORCED_TEST_MARK = "representación de prueba: marcada a petición de quien la generó"


def render_pdf(xml: bytes, *, sin_validez: bool = False) -> bytes:
    """Render a stamped CFDI 4.0 XML as its printed representation (PDF bytes, Letter size).

    A test stamp (`parse.no_fiscal_validity_reason`) is marked "SIN VALIDEZ FISCAL" on every page;
    `sin_validez=True` marks any document so.
    """
    return render_cfdi(parse_cfdi(xml), sin_validez=sin_validez)


def render_cfdi(cfdi: Cfdi, *, qr_factory: Any = qr_flowable, sin_validez: bool = False) -> bytes:
    """Render an already parsed CFDI; qr_factory(url, side) builds the QR flowable."""
    from postventa.cfdi.pdf.document import render

    mark = no_fiscal_validity_reason(cfdi) or (FORCED_TEST_MARK if sin_validez else None)
    return render(cfdi, qr_factory, mark)
